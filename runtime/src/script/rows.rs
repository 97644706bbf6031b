//! `Rows`: a command's output as a script sees it. Printing it shows the text the real tool
//! prints (`ip -br addr`, `fdisk -l`, `df -h`); indexing and iterating give a map per row,
//! for checks.

use rhai::{Array, Dynamic, Engine, EvalAltResult, Map, Position, INT};

#[derive(Debug, Clone)]
pub struct Rows {
    pub text: String,
    pub rows: Array,
}

impl Rows {
    /// Rows from any serializable records plus the tool-like text for them.
    pub fn new<T: serde::Serialize>(text: String, records: &[T]) -> Rows {
        let rows = records
            .iter()
            .map(|r| rhai::serde::to_dynamic(r).unwrap_or(Dynamic::UNIT))
            .collect();
        Rows { text, rows }
    }

    /// The first row whose `key` equals `value`.
    fn find(&self, key: &str, value: &str) -> Dynamic {
        self.rows
            .iter()
            .find(|row| {
                row.read_lock::<Map>()
                    .and_then(|m| m.get(key).map(|v| v.to_string() == value))
                    .unwrap_or(false)
            })
            .cloned()
            .unwrap_or(Dynamic::UNIT)
    }
}

pub fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Rows>("Rows")
        .register_fn("to_string", |r: &mut Rows| r.text.clone())
        .register_fn("to_debug", |r: &mut Rows| r.text.clone())
        .register_fn("len", |r: &mut Rows| r.rows.len() as INT)
        .register_get("rows", |r: &mut Rows| r.rows.clone())
        .register_get("text", |r: &mut Rows| r.text.clone())
        .register_indexer_get(
            |r: &mut Rows, index: INT| -> Result<Dynamic, Box<EvalAltResult>> {
                let len = r.rows.len();
                let at = if index < 0 { len as INT + index } else { index };
                usize::try_from(at)
                    .ok()
                    .and_then(|i| r.rows.get(i).cloned())
                    .ok_or_else(|| {
                        EvalAltResult::ErrorArrayBounds(len, index, Position::NONE).into()
                    })
            },
        )
        .register_iterator::<Rows>();
    super::reg(
        "find",
        &["rows: Rows", "key: String", "value: String", "?"],
        "The first row whose column `key` is `value`, or `()`.",
    )
    .register_into_engine(engine, |r: &mut Rows, key: &str, value: &str| {
        r.find(key, value)
    });
}

impl IntoIterator for Rows {
    type Item = Dynamic;
    type IntoIter = std::vec::IntoIter<Dynamic>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.into_iter()
    }
}
