//! The person: one row per e-mail address, written by whichever form
//! reaches them first (registration, the interest form, an ECHO
//! application) and read by every feature that names them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::people;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = people)]
pub struct Person {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub organization: String,
    pub job_title: String,
    pub sector: String,
    pub state: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
