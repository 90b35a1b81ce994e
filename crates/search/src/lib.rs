//! Chinese full-text search over knowledge articles.
//!
//! Text is segmented into words by jieba (search mode, so `社会保障卡` is found by
//! `社会保障` and by `社保`-expanded queries alike), common function words dropped,
//! and ranked by BM25 with the title and keywords weighted above the question and
//! the answer. The index is derived data: it holds the published articles of the
//! database and nothing else, and remembers (in its commit payload) the database
//! change sequence it has caught up to, so a server can tell a stale index from a
//! current one and follow the database from there.

use chrono::{Datelike, NaiveDate};
use hotline_domain::RegionCode;
use hotline_domain::kb::{Article, ArticleStatus, Synonyms};
use std::collections::BTreeSet;
use std::ops::Bound;
use std::path::Path;
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
    Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{LowerCaser, StopWordFilter, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

mod orders;
pub use orders::OrderIndex;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, SearchError>;

const TOKENIZER: &str = "zh";

/// Words that carry no meaning for a search: the particles and question words
/// callers wrap their questions in.
const STOP_WORDS: &[&str] = &[
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "嘛",
    "么",
    "怎么",
    "怎么办",
    "怎样",
    "如何",
    "什么",
    "哪里",
    "哪儿",
    "哪个",
    "我",
    "我的",
    "你",
    "您",
    "他",
    "她",
    "是",
    "在",
    "有",
    "要",
    "想",
    "去",
    "能",
    "能不能",
    "可以",
    "请问",
    "一下",
    "和",
    "与",
    "及",
    "或",
    "把",
    "被",
    "给",
    "就",
    "都",
    "也",
    "还",
    "又",
    "这",
    "那",
    "这个",
    "那个",
    "个",
    "吗？",
    "，",
    "。",
    "？",
    "！",
    "、",
];

/// The analyzer used for indexing and for queries alike.
pub fn analyzer() -> TextAnalyzer {
    with_stop_words(tantivy_jieba::JiebaTokenizer::new())
}

fn with_stop_words(tokenizer: tantivy_jieba::JiebaTokenizer) -> TextAnalyzer {
    TextAnalyzer::builder(tokenizer)
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|w| (*w).to_owned()),
        ))
        .build()
}

/// The tokens of a text, each once, in order.
fn distinct_tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(t) = stream.next() {
        if !t.text.trim().is_empty() && !out.contains(&t.text) {
            out.push(t.text.clone());
        }
    }
    out
}

/// The words of a text as a person would name its topics: jieba's precise mode (no
/// overlapping sub-words), without function words.
pub fn topic_words(text: &str) -> Vec<String> {
    // Without HMM, unknown character runs are not guessed into new "words"; topics
    // stay dictionary words.
    let mut tokenizer = tantivy_jieba::JiebaTokenizer::with_search_mode(false);
    tokenizer.set_hmm(false);
    distinct_tokens(&mut with_stop_words(tokenizer), text)
}

/// The words a text is indexed or searched under.
pub fn words(text: &str) -> Vec<String> {
    distinct_tokens(&mut analyzer(), text)
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    title: Field,
    question: Field,
    answer: Field,
    keywords: Field,
    /// The article's own region, or `all` for the whole province.
    region: Field,
    /// The article's region and every region above it.
    region_path: Field,
    valid_from: Field,
    valid_to: Field,
}

/// Field weights: a word in the title or keywords says more than one in the answer.
const BOOSTS: [(&str, f32); 4] = [
    ("title", 3.0),
    ("keywords", 2.5),
    ("question", 1.5),
    ("answer", 1.0),
];

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = TextOptions::default()
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
        .set_stored();
    let fields = Fields {
        id: b.add_i64_field("id", INDEXED | STORED),
        title: b.add_text_field("title", text.clone()),
        question: b.add_text_field("question", text.clone()),
        answer: b.add_text_field("answer", text.clone()),
        keywords: b.add_text_field("keywords", text),
        region: b.add_text_field("region", STRING),
        region_path: b.add_text_field("region_path", STRING),
        valid_from: b.add_i64_field("valid_from", INDEXED),
        valid_to: b.add_i64_field("valid_to", INDEXED),
    };
    (b.build(), fields)
}

fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

/// One search answer.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub id: i64,
    pub title: String,
    /// A passage of the answer (or the question) with the matched words in
    /// `<mark>`; everything else HTML-escaped, so it can be shown as it is.
    pub snippet: String,
    pub score: f32,
}

/// What to search for, and within what.
pub struct SearchQuery<'a> {
    pub text: &'a str,
    /// The caller's region: only articles for the whole province or for an
    /// overlapping region are found. None searches every region.
    pub region: Option<&'a RegionCode>,
    pub day: NaiveDate,
    pub limit: usize,
    pub synonyms: &'a Synonyms,
}

/// A knowledge search index, on disk or in memory.
pub struct KbIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
}

impl KbIndex {
    /// Opens the index in `dir`, creating an empty one if there is none (or if the
    /// one there has another layout, as after an upgrade: it is derived data).
    pub fn open(dir: &Path) -> Result<Self> {
        let (schema, fields) = schema();
        Self::with_index(open_or_create(dir, schema)?, fields)
    }

    /// An index held in memory (tests, benchmarks).
    pub fn in_memory() -> Result<Self> {
        let (schema, fields) = schema();
        Self::with_index(Index::create_in_ram(schema), fields)
    }

    fn with_index(index: Index, fields: Fields) -> Result<Self> {
        index.tokenizers().register(TOKENIZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer = index.writer(32_000_000)?;
        Ok(KbIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
        })
    }

    /// The database change sequence the index has caught up to (0 for a new index).
    pub fn synced_seq(&self) -> u64 {
        committed_seq(&self.index)
    }

    /// Number of articles in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn document(&self, a: &Article) -> TantivyDocument {
        let f = self.fields;
        let c = &a.content;
        let mut d = doc!(
            f.id => a.id,
            f.title => c.title.as_str(),
            f.question => c.question.as_str(),
            f.answer => c.answer.as_str(),
            f.keywords => c.keywords.join(" "),
            f.region => c.region.as_ref().map_or("all", |r| r.as_str()),
            f.valid_from => c.valid_from.map_or(i64::MIN, day_number),
            f.valid_to => c.valid_to.map_or(i64::MAX, day_number),
        );
        match &c.region {
            None => d.add_text(f.region_path, "all"),
            Some(r) => {
                for code in ancestors(r) {
                    d.add_text(f.region_path, code.as_str());
                }
            }
        }
        d
    }

    /// Brings the index up to `seq`: each changed article is replaced by its current
    /// state (kept only if published), in one commit that records `seq`.
    pub fn apply(&self, changed: &[Article], seq: u64) -> Result<()> {
        self.write(seq, |w| {
            for a in changed {
                w.delete_term(Term::from_field_i64(self.fields.id, a.id));
            }
            self.add_published(w, changed)
        })
    }

    /// Replaces everything with `articles`, recording `seq`.
    pub fn rebuild(&self, articles: &[Article], seq: u64) -> Result<()> {
        self.write(seq, |w| {
            w.delete_all_documents()?;
            self.add_published(w, articles)
        })
    }

    fn add_published(&self, w: &IndexWriter, articles: &[Article]) -> Result<()> {
        for a in articles
            .iter()
            .filter(|a| a.status == ArticleStatus::Published)
        {
            w.add_document(self.document(a))?;
        }
        Ok(())
    }

    /// One change to the index, committed with `seq` and visible to searches after.
    fn write(&self, seq: u64, change: impl FnOnce(&IndexWriter) -> Result<()>) -> Result<()> {
        let mut w = self.writer.lock().expect("index writer lock");
        change_and_commit(&mut w, seq, change)?;
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    /// The best matches for the query, best first.
    pub fn search(&self, q: &SearchQuery<'_>) -> Result<Vec<Hit>> {
        let mut text = q.text.to_owned();
        for extra in q.synonyms.expansions(q.text) {
            text.push(' ');
            text.push_str(extra);
        }
        let terms = words(&text);
        if terms.is_empty() || q.limit == 0 {
            return Ok(Vec::new());
        }
        let matching = self.matching(&terms);
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(matching) as Box<dyn Query>),
            (
                Occur::Must,
                Box::new(ConstScoreQuery::new(self.filter(q), 0.0)),
            ),
        ]);
        let searcher = self.reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(q.limit).order_by_score())?;
        let mut answer_snippets = SnippetGenerator::create(&searcher, &query, self.fields.answer)?;
        answer_snippets.set_max_num_chars(120);
        let question_snippets = SnippetGenerator::create(&searcher, &query, self.fields.question)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let d: TantivyDocument = searcher.doc(addr)?;
            let text_of = |f: Field| {
                d.get_first(f)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            let mut snippet = answer_snippets.snippet(&text_of(self.fields.answer));
            if snippet.highlighted().is_empty() {
                snippet = question_snippets.snippet(&text_of(self.fields.question));
            }
            hits.push(Hit {
                id: d
                    .get_first(self.fields.id)
                    .and_then(|v| v.as_i64())
                    .unwrap_or_default(),
                title: text_of(self.fields.title),
                snippet: marked(snippet.fragment(), snippet.highlighted()),
                score,
            });
        }
        Ok(hits)
    }

    /// Any of the words, in any weighted field.
    fn matching(&self, terms: &[String]) -> BooleanQuery {
        let f = self.fields;
        let fields = [f.title, f.keywords, f.question, f.answer];
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, (_, boost)) in fields.iter().zip(BOOSTS) {
            for t in terms {
                let term = TermQuery::new(
                    Term::from_field_text(*field, t),
                    IndexRecordOption::WithFreqs,
                );
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(term), boost)),
                ));
            }
        }
        BooleanQuery::new(clauses)
    }

    /// Valid today, and for the caller's region.
    fn filter(&self, q: &SearchQuery<'_>) -> Box<dyn Query> {
        let f = self.fields;
        let today = day_number(q.day);
        let mut must: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Unbounded,
                    Bound::Included(Term::from_field_i64(f.valid_from, today)),
                )),
            ),
            (
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_i64(f.valid_to, today)),
                    Bound::Unbounded,
                )),
            ),
        ];
        if let Some(region) = q.region {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            let mut own: BTreeSet<String> = ancestors(region)
                .into_iter()
                .map(|r| r.to_string())
                .collect();
            own.insert("all".into());
            for code in own {
                any.push((Occur::Should, term_query(f.region, &code)));
            }
            any.push((Occur::Should, term_query(f.region_path, region.as_str())));
            must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        Box::new(BooleanQuery::new(must))
    }
}

fn term_query(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// The index in `dir`, or a new empty one if there is none or the one there has
/// another layout (as after an upgrade: indexes are derived data).
fn open_or_create(dir: &Path, schema: Schema) -> Result<Index> {
    std::fs::create_dir_all(dir)?;
    match Index::open_in_dir(dir) {
        Ok(i) if i.schema() == schema => Ok(i),
        _ => {
            for entry in std::fs::read_dir(dir)? {
                let path = entry?.path();
                if path.is_file() {
                    std::fs::remove_file(path)?;
                }
            }
            Ok(Index::create_in_dir(dir, schema)?)
        }
    }
}

/// The sequence number recorded by the last commit (0 for a new index).
fn committed_seq(index: &Index) -> u64 {
    index
        .load_metas()
        .ok()
        .and_then(|m| m.payload)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

/// Makes `change` and commits it with `seq` as the applied watermark — or, when any
/// of it fails (a full disk), rolls the writer back to the last commit, so that the
/// watermark never passes what was not written and the next pass starts again from
/// there with a writer that works (a failed writer otherwise refuses every later
/// change until the process restarts).
fn change_and_commit(
    w: &mut IndexWriter,
    seq: u64,
    change: impl FnOnce(&IndexWriter) -> Result<()>,
) -> Result<()> {
    let done = change(w).and_then(|()| {
        let mut prepared = w.prepare_commit()?;
        prepared.set_payload(&seq.to_string());
        prepared.commit()?;
        Ok(())
    });
    if done.is_err() {
        // The rollback's own failure changes nothing the caller can do: the next
        // pass fails again and is logged.
        let _ = w.rollback();
    }
    done
}

/// A region and the regions above it: `510104` → `510000`, `510100`, `510104`.
fn ancestors(r: &RegionCode) -> Vec<RegionCode> {
    let mut out = vec![r.province(), r.city(), r.clone()];
    out.dedup();
    out
}

/// The fragment HTML-escaped, with the highlighted byte ranges in `<mark>`.
/// Search-mode segmentation yields overlapping words (社会保障卡, 社会保障, 保障), so
/// the generator's ranges can overlap, nest or even run backwards: only ranges that
/// start at or after the last one's end, on character boundaries, are marked.
fn marked(fragment: &str, highlighted: &[std::ops::Range<usize>]) -> String {
    let mut out = String::with_capacity(fragment.len() + 32);
    let mut at = 0;
    let mut ranges: Vec<&std::ops::Range<usize>> = highlighted.iter().collect();
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    for r in ranges {
        let (Some(before), Some(word)) = (fragment.get(at..r.start), fragment.get(r.clone()))
        else {
            continue;
        };
        if word.is_empty() {
            continue;
        }
        escape_into(&mut out, before);
        out.push_str("<mark>");
        escape_into(&mut out, word);
        out.push_str("</mark>");
        at = r.end;
    }
    escape_into(&mut out, fragment.get(at..).unwrap_or_default());
    out
}

fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::marked;

    #[test]
    fn overlapping_backward_and_split_ranges_never_break_the_text() {
        let text = "社会保障卡挂失";
        #[allow(clippy::reversed_empty_ranges)]
        let ranges = vec![0..15, 0..12, 6..12, 18..21, 19..20, usize::MAX - 2..5, 9..3];
        let html = marked(text, &ranges);
        assert_eq!(html, "<mark>社会保障卡</mark>挂<mark>失</mark>");
    }
}
