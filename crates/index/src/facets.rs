//! Facet counts: for each requested string fast field, how many matching documents carry each
//! value (a document with several values counts once for each).

use std::collections::{BTreeMap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

pub struct FacetCounts {
    pub fields: Vec<&'static str>,
}

pub struct SegmentFacets {
    columns: Vec<Option<StrColumn>>,
    counts: Vec<HashMap<u64, u64>>,
}

/// Per field, value → count.
pub type FacetFruit = Vec<BTreeMap<String, u64>>;

impl Collector for FacetCounts {
    type Fruit = FacetFruit;
    type Child = SegmentFacets;

    fn for_segment(&self, _: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let columns = self.fields.iter().map(|f| reader.fast_fields().str(f)).collect::<tantivy::Result<Vec<_>>>()?;
        let counts = vec![HashMap::new(); columns.len()];
        Ok(SegmentFacets { columns, counts })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut merged = vec![BTreeMap::new(); self.fields.len()];
        for fruit in fruits {
            for (m, f) in merged.iter_mut().zip(fruit) {
                for (k, v) in f {
                    *m.entry(k).or_insert(0) += v;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col {
                for ord in col.term_ords(doc) {
                    *counts.entry(ord).or_insert(0) += 1;
                }
            }
        }
    }

    fn harvest(self) -> FacetFruit {
        self.columns
            .iter()
            .zip(self.counts)
            .map(|(col, counts)| {
                let mut out = BTreeMap::new();
                if let Some(col) = col {
                    let mut s = String::new();
                    for (ord, n) in counts {
                        s.clear();
                        if col.ord_to_str(ord, &mut s).unwrap_or(false) {
                            out.insert(s.clone(), n);
                        }
                    }
                }
                out
            })
            .collect()
    }
}
