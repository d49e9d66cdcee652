//! Links stored before they were hashed, converted in place (`convene
//! migrate` runs this after the schema's migrations).

use crate::web::links::{hash, is_legacy, LinkKey, TOKEN_BYTES};

/// Every column pair that keeps a link: (table, hash column, sealed column).
const STORED: &[(&str, &str, &str)] = &[
    ("registrations", "token_hash", "token_sealed"),
    ("subscriptions", "token_hash", "token_sealed"),
    (
        "subscriptions",
        "confirm_token_hash",
        "confirm_token_sealed",
    ),
    (
        "lineup_slots",
        "response_token_hash",
        "response_token_sealed",
    ),
    ("applications", "access_token_hash", "access_token_sealed"),
];

/// Converts tokens stored before links were hashed (a 40-hex token in the
/// hash column) to their hash and sealed copy, so the links already sent
/// keep working. Idempotent; one transaction. Returns how many it converted.
pub fn convert_legacy(conn: &mut super::DbConnection, key: &LinkKey) -> diesel::QueryResult<usize> {
    use diesel::connection::Connection;
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    #[derive(QueryableByName)]
    struct Legacy {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        token: String,
    }
    conn.transaction(|conn| {
        let mut converted = 0;
        for (table, hash_col, sealed_col) in STORED {
            let select = conn.sql(&format!(
                "SELECT id, {hash_col} AS token FROM {table} WHERE length({hash_col}) = ?"
            ));
            let rows: Vec<Legacy> = diesel::sql_query(select)
                .bind::<BigInt, _>(2 * TOKEN_BYTES as i64)
                .load(conn)?;
            let update = conn.sql(&format!(
                "UPDATE {table} SET {hash_col} = ?, {sealed_col} = ? WHERE id = ?"
            ));
            for row in rows.into_iter().filter(|r| is_legacy(&r.token)) {
                diesel::sql_query(update.clone())
                    .bind::<Text, _>(hash(&row.token))
                    .bind::<Text, _>(key.seal(&row.token))
                    .bind::<BigInt, _>(row.id)
                    .execute(conn)?;
                converted += 1;
            }
        }
        Ok(converted)
    })
}
