//! The Chinese index of orders' titles and contents, behind the order list's `q=`.
//!
//! It holds only ids and words: what a caller may see is decided by the database
//! query the ids are fed into, so the index never widens anyone's view. Orders'
//! texts never change once registered, so the index follows the orders table by id,
//! remembering (in its commit payload) the highest id it has applied.

use hotline_domain::kb::Synonyms;
use std::path::Path;
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use crate::{Result, TOKENIZER, analyzer, change_and_commit, committed_seq, open_or_create, words};

pub struct OrderIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    id: Field,
    text: Field,
}

fn schema() -> (Schema, Field, Field) {
    let mut b = Schema::builder();
    let id = b.add_i64_field("id", INDEXED | STORED);
    let text = b.add_text_field(
        "text",
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqs),
        ),
    );
    (b.build(), id, text)
}

impl OrderIndex {
    pub fn open(dir: &Path) -> Result<Self> {
        let (schema, id, text) = schema();
        Self::with_index(open_or_create(dir, schema)?, id, text)
    }

    pub fn in_memory() -> Result<Self> {
        let (schema, id, text) = schema();
        Self::with_index(Index::create_in_ram(schema), id, text)
    }

    fn with_index(index: Index, id: Field, text: Field) -> Result<Self> {
        index.tokenizers().register(TOKENIZER, analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        // A small heap: orders are indexed a batch at a time, in the background.
        let writer = index.writer_with_num_threads(1, 15_000_000)?;
        Ok(OrderIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            id,
            text,
        })
    }

    /// The highest order id applied (0 for a new index).
    pub fn indexed_upto(&self) -> i64 {
        i64::try_from(committed_seq(&self.index)).unwrap_or(0)
    }

    /// Adds (or replaces) these orders and records `upto` as applied, in one commit.
    pub fn apply(&self, orders: &[(i64, String)], upto: i64) -> Result<()> {
        let mut w = self.writer.lock().expect("index writer lock");
        change_and_commit(&mut w, u64::try_from(upto).unwrap_or(0), |w| {
            for (id, text) in orders {
                w.delete_term(Term::from_field_i64(self.id, *id));
                w.add_document(doc!(self.id => *id, self.text => text.as_str()))?;
            }
            Ok(())
        })?;
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    /// How many orders the index holds.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops everything (before a rebuild).
    pub fn clear(&self) -> Result<()> {
        let mut w = self.writer.lock().expect("index writer lock");
        change_and_commit(&mut w, 0, |w| {
            w.delete_all_documents()?;
            Ok(())
        })?;
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    /// Ids of the orders whose words match the query best (any word; synonyms
    /// expanded), at most `limit`.
    pub fn search_ids(&self, text: &str, synonyms: &Synonyms, limit: usize) -> Result<Vec<i64>> {
        let mut expanded = text.to_owned();
        for extra in synonyms.expansions(text) {
            expanded.push(' ');
            expanded.push_str(extra);
        }
        let clauses: Vec<(Occur, Box<dyn Query>)> = words(&expanded)
            .iter()
            .map(|w| {
                let q = TermQuery::new(
                    Term::from_field_text(self.text, w),
                    IndexRecordOption::WithFreqs,
                );
                (Occur::Should, Box::new(q) as Box<dyn Query>)
            })
            .collect();
        if clauses.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit).order_by_score(),
        )?;
        top.into_iter()
            .map(|(_, addr)| {
                let d: TantivyDocument = searcher.doc(addr)?;
                Ok(d.get_first(self.id)
                    .and_then(|v| v.as_i64())
                    .unwrap_or_default())
            })
            .collect()
    }
}
