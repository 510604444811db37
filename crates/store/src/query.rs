//! Building a query with optional criteria: numbered parameters and the page window.

use rusqlite::ToSql;

use crate::PAGE_SIZE;

/// The parameters of a query being built, numbered `?1`, `?2`... in the order they are bound.
pub(crate) struct Params(Vec<Box<dyn ToSql>>);

impl Params {
    /// Parameters starting with `initial` (already written as `?1`, `?2`... in the SQL).
    pub(crate) fn new(initial: Vec<Box<dyn ToSql>>) -> Self {
        Params(initial)
    }

    /// Appends `clause` to `sql`, its `?` numbered for `value`.
    pub(crate) fn bind(&mut self, sql: &mut String, clause: &str, value: Box<dyn ToSql>) {
        self.0.push(value);
        sql.push_str(&clause.replace('?', &format!("?{}", self.0.len())));
    }

    /// Binds one more row than a page (to tell whether more follow) and the page's offset, and
    /// returns `LIMIT ?n OFFSET ?m` for them.
    pub(crate) fn page_window(&mut self, page: usize) -> String {
        let n = self.0.len();
        self.0.push(Box::new((PAGE_SIZE + 1) as i64));
        self.0.push(Box::new((page * PAGE_SIZE) as i64));
        format!("LIMIT ?{} OFFSET ?{}", n + 1, n + 2)
    }

    /// The parameters as rusqlite takes them.
    pub(crate) fn as_slice(&self) -> Vec<&dyn ToSql> {
        self.0.iter().map(|b| b.as_ref()).collect()
    }
}
