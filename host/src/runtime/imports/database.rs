//! The `database` import: the plugin's own SQL (`crate::databases`), within the request's
//! limits: its time (SQLite stops a statement at the handler's deadline), its statements
//! (`MAX_CALLS_PER_REQUEST`) and its memory (a result past it is refused, not allocated).

use std::sync::Arc;
use std::time::Instant;

use super::HostResult;
use crate::databases::{
    Call, Column, DatabaseError, Databases, Executed, MAX_CALLS_PER_REQUEST, MAX_RESULT_BYTES,
    OpenTransactions, Rows, Value,
};
use crate::runtime::bindings::gale::web::database::{
    self, Column as WitColumn, DatabaseError as WitError, Executed as WitExecuted, Rows as WitRows,
    Value as WitValue,
};
use crate::runtime::ctx::Sandbox;

impl From<DatabaseError> for WitError {
    fn from(error: DatabaseError) -> Self {
        match error {
            DatabaseError::Invalid(why) => Self::Invalid(why),
            DatabaseError::Constraint(why) => Self::Constraint(why),
            DatabaseError::Refused(why) => Self::Refused(why),
            DatabaseError::Unavailable(why) => Self::Unavailable(why),
        }
    }
}

impl From<WitValue> for Value {
    fn from(value: WitValue) -> Self {
        match value {
            WitValue::Null => Self::Null,
            WitValue::Integer(value) => Self::Integer(value),
            WitValue::Real(value) => Self::Real(value),
            WitValue::Text(value) => Self::Text(value),
            WitValue::Blob(value) => Self::Blob(value),
        }
    }
}

impl From<Value> for WitValue {
    fn from(value: Value) -> Self {
        match value {
            Value::Null => Self::Null,
            Value::Integer(value) => Self::Integer(value),
            Value::Real(value) => Self::Real(value),
            Value::Text(value) => Self::Text(value),
            Value::Blob(value) => Self::Blob(value),
        }
    }
}

impl From<Rows> for WitRows {
    fn from(rows: Rows) -> Self {
        let column = |Column {
                          name,
                          declared_type,
                      }| WitColumn {
            name,
            declared_type,
        };
        Self {
            columns: rows.columns.into_iter().map(column).collect(),
            rows: (rows.rows.into_iter())
                .map(|row| row.into_iter().map(Into::into).collect())
                .collect(),
        }
    }
}

impl From<Executed> for WitExecuted {
    fn from(done: Executed) -> Self {
        Self {
            rows_affected: done.rows_affected,
            last_insert_id: done.last_insert_id,
        }
    }
}

/// What the `database` interface sees: the worker's databases, the request's open
/// transactions and count of statements, and its clock.
pub(super) struct DatabaseView<'a> {
    pub(super) sandbox: &'a Sandbox,
    /// Absent while a plugin's routes are read at load.
    pub(super) databases: Option<&'a Arc<Databases>>,
    pub(super) transactions: &'a mut OpenTransactions,
    pub(super) calls: &'a mut u32,
    /// Where the handler's time limit counts from.
    pub(super) running_since: Instant,
}

impl DatabaseView<'_> {
    /// The databases, and one more statement counted against the request's limit.
    fn counted(&mut self) -> Result<Arc<Databases>, DatabaseError> {
        let Some(databases) = self.databases.cloned() else {
            let why = "a plugin's database is there for its handlers, not while its routes load";
            return Err(DatabaseError::Unavailable(why.into()));
        };
        *self.calls += 1;
        if *self.calls > MAX_CALLS_PER_REQUEST {
            return Err(DatabaseError::Refused(format!(
                "a request may run {MAX_CALLS_PER_REQUEST} statements"
            )));
        }
        Ok(databases)
    }

    /// The statement `sql` with `params` on database `name`, for this request.
    fn call(&self, name: String, sql: String, params: Vec<WitValue>) -> Call {
        Call {
            plugin: self.sandbox.plugin.clone(),
            database: name,
            sql,
            params: params.into_iter().map(Into::into).collect(),
            deadline: self.running_since + self.sandbox.timeout,
            time_limit: self.sandbox.timeout,
            result_limit: MAX_RESULT_BYTES.min(self.sandbox.memory),
        }
    }
}

/// `wait`'s outcome within the handler's time, in the contract's words.
async fn in_time<T: Into<W>, W>(
    (sandbox, running_since): (&Sandbox, Instant),
    call: &'static str,
    wait: impl Future<Output = Result<T, DatabaseError>>,
) -> HostResult<W, WitError> {
    let done = sandbox.in_time(running_since, call, wait).await?;
    Ok(done.map(Into::into).map_err(Into::into))
}

impl database::Host for DatabaseView<'_> {
    async fn execute(
        &mut self,
        name: String,
        sql: String,
        params: Vec<WitValue>,
    ) -> HostResult<WitExecuted, WitError> {
        let clock = (self.sandbox, self.running_since);
        let run = async {
            let databases = self.counted()?;
            let call = self.call(name, sql, params);
            databases.execute(call, self.transactions).await
        };
        in_time(clock, "execute", run).await
    }

    async fn query(
        &mut self,
        name: String,
        sql: String,
        params: Vec<WitValue>,
    ) -> HostResult<WitRows, WitError> {
        let clock = (self.sandbox, self.running_since);
        let run = async {
            let databases = self.counted()?;
            let call = self.call(name, sql, params);
            databases.query(call, self.transactions).await
        };
        in_time(clock, "query", run).await
    }

    async fn begin(&mut self, name: String) -> HostResult<(), WitError> {
        let clock = (self.sandbox, self.running_since);
        let run = async {
            let databases = self.counted()?;
            let call = self.call(name, String::new(), Vec::new());
            databases.begin(&call, self.transactions).await
        };
        in_time(clock, "begin", run).await
    }

    async fn commit(&mut self, name: String) -> HostResult<(), WitError> {
        let clock = (self.sandbox, self.running_since);
        in_time(clock, "commit", self.transactions.end(&name, true)).await
    }

    async fn rollback(&mut self, name: String) -> HostResult<(), WitError> {
        let clock = (self.sandbox, self.running_since);
        in_time(clock, "rollback", self.transactions.end(&name, false)).await
    }
}
