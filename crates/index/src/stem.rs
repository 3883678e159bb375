//! English stemming that remembers the words it has stemmed.
//!
//! The same Snowball algorithm as tantivy's `Stemmer` filter (the `frostem` crate it uses),
//! with a memo per thread: a corpus repeats a few thousand words (technologies, sample types,
//! countries, organisations), and running the algorithm on every occurrence was a fifth of
//! the CPU of a new replica's first index build. Stems are the same either way.

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Words a thread remembers; past that the memo starts again, so it stays a few megabytes.
const MEMO_WORDS: usize = 50_000;

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo {
        stemmer: frostem::Stemmer::new(frostem::Algorithm::English),
        stems: FxHashMap::default(),
    });
}

struct Memo {
    stemmer: frostem::Stemmer,
    stems: FxHashMap<Box<str>, Box<str>>,
}

impl Memo {
    /// Replace `word` with its stem.
    fn stem(&mut self, word: &mut String) {
        if let Some(stem) = self.stems.get(word.as_str()) {
            word.clear();
            word.push_str(stem);
            return;
        }
        let stem: Box<str> = self.stemmer.stem(word).into();
        if self.stems.len() >= MEMO_WORDS {
            self.stems.clear();
        }
        let typed = std::mem::replace(word, String::from(&*stem));
        self.stems.insert(typed.into_boxed_str(), stem);
    }
}

/// The English stemming filter, for lowercased tokens.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct EnglishStemmer;

impl TokenFilter for EnglishStemmer {
    type Tokenizer<T: Tokenizer> = StemmingTokenizer<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> StemmingTokenizer<T> {
        StemmingTokenizer(tokenizer)
    }
}

#[derive(Clone)]
pub(crate) struct StemmingTokenizer<T>(T);

impl<T: Tokenizer> Tokenizer for StemmingTokenizer<T> {
    type TokenStream<'a> = StemmingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemmingStream(self.0.token_stream(text))
    }
}

pub(crate) struct StemmingStream<T>(T);

impl<T: TokenStream> TokenStream for StemmingStream<T> {
    fn advance(&mut self) -> bool {
        if !self.0.advance() {
            return false;
        }
        let token = self.0.token_mut();
        MEMO.with_borrow_mut(|memo| memo.stem(&mut token.text));
        true
    }

    fn token(&self) -> &Token {
        self.0.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.0.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{Language, LowerCaser, SimpleTokenizer, Stemmer, TextAnalyzer};

    use super::*;

    fn tokens(mut analyzer: TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn stems_as_tantivys_stemmer_does_the_first_time_and_from_the_memo_after() {
        let text = "Sequencing sequenced tumours; proteomics of running cores, libraries and \
                    generalisations: sequencing again, running again, cores again.";
        let ours = || TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(EnglishStemmer).build();
        let theirs = TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser).filter(Stemmer::new(Language::English)).build();
        let want = tokens(theirs, text);
        assert!(want.contains(&"sequenc".to_owned()) && want.contains(&"run".to_owned()), "{want:?}");
        // Twice: the second pass reads every stem from this thread's memo.
        assert_eq!(tokens(ours(), text), want);
        assert_eq!(tokens(ours(), text), want);
    }

    #[test]
    fn a_full_memo_starts_again() {
        let mut memo = Memo { stemmer: frostem::Stemmer::new(frostem::Algorithm::English), stems: FxHashMap::default() };
        for i in 0..=MEMO_WORDS {
            let mut word = format!("running{i}");
            memo.stem(&mut word);
        }
        assert_eq!(memo.stems.len(), 1, "cleared when full, then the new word");
        let mut word = "libraries".to_owned();
        memo.stem(&mut word);
        assert_eq!(word, "librari");
    }
}
