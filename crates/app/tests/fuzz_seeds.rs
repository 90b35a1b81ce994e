//! The cargo-fuzz targets' bodies (`hotline_app::fuzzing`), replayed on stable over a
//! small seed corpus (`tests/fuzz_seeds/`, plus a workbook and a CSV written here):
//! none of them may panic. The fuzzers themselves run with nightly (README "Fuzzing").

use hotline_app::fuzzing;

fn seeds(ext: &str) -> Vec<Vec<u8>> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_seeds");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.push(Vec::new());
    out
}

/// A real workbook, and every prefix-truncated and bit-flipped copy of a few bytes.
fn workbook() -> Vec<u8> {
    hotline_app::spreadsheet::xlsx_file([["标题", "问题"], ["社保卡", "丢了怎么办"]]).unwrap()
}

#[test]
fn the_xlsx_reader_survives_its_seeds_and_damaged_workbooks() {
    let book = workbook();
    let mut inputs = seeds("xlsx");
    for cut in [10, 100, book.len() / 2, book.len() - 1] {
        inputs.push(book[..cut].to_vec());
    }
    for at in (0..book.len()).step_by(97) {
        let mut flipped = book.clone();
        flipped[at] ^= 0x55;
        inputs.push(flipped);
    }
    inputs.push(book);
    for input in inputs {
        fuzzing::xlsx(&input);
    }
}

#[test]
fn the_csv_reader_survives_its_seeds() {
    for input in seeds("csv") {
        fuzzing::csv(&input);
    }
}

#[test]
fn the_calendar_reader_survives_its_seeds() {
    for input in seeds("json") {
        fuzzing::calendar_json(&input);
    }
}
