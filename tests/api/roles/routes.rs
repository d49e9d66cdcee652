//! Every registered route asked by each role, answering as the table says.

use std::collections::BTreeSet;

use super::world::World;
use super::{signed, table, Expect, Row, ACCOUNTS, WHO};

#[tokio::test]
async fn every_registered_route_answers_each_role_as_the_role_table_says() {
    let rows = table();
    let registered: BTreeSet<(String, String)> = convene::app::route_list()
        .into_iter()
        .map(|(method, pattern)| (method.to_string(), pattern.to_string()))
        .collect();
    let in_table: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.to_string(), r.pattern.to_string()))
        .collect();
    let missing: Vec<_> = registered.difference(&in_table).collect();
    let stale: Vec<_> = in_table.difference(&registered).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "every registered route needs a row in tests/api/roles.rs, and every row a route.\n\
         registered without a row: {missing:#?}\nrows for no route: {stale:#?}"
    );

    let world = World::new().await;
    let mut wrong = Vec::new();
    let mut check = |row: &Row, who: usize, expected: u16, got: u16| {
        if expected != got {
            wrong.push(format!(
                "{} {} as {}: expected {expected}, got {got}",
                row.method,
                world.url(row.url, who),
                WHO[who]
            ));
        }
    };
    // Sign-outs last: they end sign-ins.
    let (last, first): (Vec<&Row>, Vec<&Row>) = rows
        .iter()
        .partition(|r| matches!(r.expect, Expect::SignsOut(_)));
    for row in first.into_iter().chain(last) {
        match &row.expect {
            Expect::Public(status) => check(row, 0, *status, world.ask(row, 0, None).await),
            Expect::Roles(statuses) => {
                for (who, expected) in statuses.iter().enumerate() {
                    let got = world.ask(row, who, world.signed[who].as_ref()).await;
                    check(row, who, *expected, got);
                }
            }
            Expect::SignsOut(statuses) => {
                for (who, expected) in statuses.iter().enumerate() {
                    let fresh = match ACCOUNTS[who] {
                        Some(email) => Some(signed(&world.app, email).await),
                        None => None,
                    };
                    check(
                        row,
                        who,
                        *expected,
                        world.ask(row, who, fresh.as_ref()).await,
                    );
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answer(s) differ from the role table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
