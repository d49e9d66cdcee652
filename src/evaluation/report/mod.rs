//! What the evaluations say, per session and over a period: responses and
//! the response rate, ratings and usefulness (1 to 5), per lever of change
//! who took an idea back and who acted on it, how many were asked and
//! answered "what came of it", and the free-text answers. Counted here
//! (pure) from what `store` loads; served as JSON and CSV by `handlers`,
//! and read by the series' reports page.

pub mod handlers;
pub mod store;

use serde::Serialize;

use crate::lineup::levers::LEVERS;
use crate::series::questions::{self, Kind};

pub use handlers::routes;

/// The question roles the reports count (`registration_questions.role`);
/// `OWN` is a series' own question.
pub use crate::evaluation::questions::{LEVER, RATING, TAKE_BACK, TOPICS, USEFULNESS};
pub const OWN: &str = "";
/// The role a "what changed?" answer is listed under with the free text.
pub const SINCE_CHANGED: &str = "since_changed";

/// The lever an evaluation's answer names: its code or its label (any
/// case); `None` for anything else. The one place an answer is read as a
/// lever.
pub fn lever_of(answer: &str) -> Option<&'static str> {
    let answer = answer.trim();
    LEVERS
        .iter()
        .find(|(code, label)| *code == answer || label.eq_ignore_ascii_case(answer))
        .map(|(code, _)| *code)
}

/// A 1-to-5 answer.
fn score(answer: &str) -> Option<usize> {
    answer.trim().parse().ok().filter(|n| (1..=5).contains(n))
}

fn two_decimals(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A session as the report lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRow {
    pub id: i64,
    pub title: String,
    /// Its local date, `YYYY-MM-DD`.
    pub date: String,
    /// Registrations in `registered`.
    pub registrants: i64,
}

/// One evaluation and its answers, as loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub id: i64,
    pub session_id: i64,
    pub anonymous: bool,
    pub took_back: bool,
    pub asked: bool,
    pub answered: bool,
    pub acted_on: Option<bool>,
    /// Lever codes (the JSON array, read).
    pub since_levers: Vec<&'static str>,
    pub since_changed: String,
    pub answers: Vec<Answer>,
}

/// One answer with its question.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub question_id: i64,
    pub role: String,
    pub kind: Kind,
    pub label: String,
    /// As stored (several choices as a JSON array).
    pub value: String,
}

impl Answer {
    /// The answer as a reader takes it: each choice, a lever by its label.
    pub fn values(&self) -> Vec<String> {
        let values = questions::values(self.kind, &self.value);
        if self.role != LEVER {
            return values;
        }
        values
            .into_iter()
            .map(
                |v| match lever_of(&v).and_then(crate::lineup::levers::label) {
                    Some(label) => label.to_string(),
                    None => v,
                },
            )
            .collect()
    }
}

impl Evaluation {
    fn answer(&self, role: &str) -> Option<&Answer> {
        self.answers.iter().find(|a| a.role == role)
    }

    /// The levers its lever question names.
    pub fn levers(&self) -> Vec<&'static str> {
        self.answers
            .iter()
            .filter(|a| a.role == LEVER)
            .flat_map(|a| a.values())
            .filter_map(|v| lever_of(&v))
            .collect()
    }
}

/// A 1-to-5 question's answers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scale {
    /// To two decimals; null with no answer.
    pub average: Option<f64>,
    /// How many answered.
    pub answers: i64,
    /// How many answered 1, 2, 3, 4 and 5, in that order.
    pub counts: Vec<i64>,
}

impl Scale {
    fn of(counts: [i64; 5]) -> Self {
        let answers: i64 = counts.iter().sum();
        let sum: i64 = counts.iter().zip(1..).map(|(n, v)| n * v).sum();
        Scale {
            average: (answers > 0).then(|| two_decimals(sum as f64 / answers as f64)),
            answers,
            counts: counts.to_vec(),
        }
    }
}

/// One lever of change over some evaluations.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeverFeedback {
    pub code: String,
    pub label: String,
    /// Evaluations that said they would take an idea back and named this
    /// lever.
    pub took_back: i64,
    /// Those asked later who said they acted on it and that it moved this
    /// lever.
    pub acted_on: i64,
}

/// The figures of a session, or of a period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Registrations in `registered`.
    pub registrants: i64,
    /// Evaluations: registrants' and anonymous ones.
    pub responses: i64,
    pub registrant_responses: i64,
    pub anonymous_responses: i64,
    /// Responses ÷ registrants, to two decimals (anonymous answers count,
    /// so it can pass 1); null with no registrants.
    pub response_rate: Option<f64>,
    pub rating: Scale,
    pub usefulness: Scale,
    /// Evaluations that said what they would take back.
    pub took_back: i64,
    /// Asked "what came of it" (`evaluation.follow_up_days` after).
    pub since_asked: i64,
    /// Of them, who answered.
    pub since_answered: i64,
    /// Of them, who said they acted on it.
    pub acted_on: i64,
    /// Every lever, in the taxonomy's order.
    pub levers: Vec<LeverFeedback>,
}

/// What figures are counted from.
#[derive(Debug, Clone, Default)]
struct Tally {
    registrants: i64,
    registrant_responses: i64,
    anonymous_responses: i64,
    rating: [i64; 5],
    usefulness: [i64; 5],
    took_back: i64,
    since_asked: i64,
    since_answered: i64,
    acted_on: i64,
    levers: [(i64, i64); 7],
}

impl Tally {
    fn count(&mut self, e: &Evaluation) {
        if e.anonymous {
            self.anonymous_responses += 1;
        } else {
            self.registrant_responses += 1;
        }
        let scores = |role: &str| e.answer(role).and_then(|a| score(&a.value));
        if let Some(n) = scores(RATING) {
            self.rating[n - 1] += 1;
        }
        if let Some(n) = scores(USEFULNESS) {
            self.usefulness[n - 1] += 1;
        }
        self.took_back += i64::from(e.took_back);
        self.since_asked += i64::from(e.asked);
        self.since_answered += i64::from(e.answered);
        let acted = e.acted_on == Some(true);
        self.acted_on += i64::from(acted);
        let named = e.levers();
        for (i, (code, _)) in LEVERS.iter().enumerate() {
            if e.took_back && named.contains(code) {
                self.levers[i].0 += 1;
            }
            if acted && e.since_levers.contains(code) {
                self.levers[i].1 += 1;
            }
        }
    }

    fn add(&mut self, other: &Tally) {
        self.registrants += other.registrants;
        self.registrant_responses += other.registrant_responses;
        self.anonymous_responses += other.anonymous_responses;
        for i in 0..5 {
            self.rating[i] += other.rating[i];
            self.usefulness[i] += other.usefulness[i];
        }
        self.took_back += other.took_back;
        self.since_asked += other.since_asked;
        self.since_answered += other.since_answered;
        self.acted_on += other.acted_on;
        for (mine, theirs) in self.levers.iter_mut().zip(other.levers) {
            mine.0 += theirs.0;
            mine.1 += theirs.1;
        }
    }

    fn figures(&self) -> Figures {
        let responses = self.registrant_responses + self.anonymous_responses;
        Figures {
            registrants: self.registrants,
            responses,
            registrant_responses: self.registrant_responses,
            anonymous_responses: self.anonymous_responses,
            response_rate: (self.registrants > 0)
                .then(|| two_decimals(responses as f64 / self.registrants as f64)),
            rating: Scale::of(self.rating),
            usefulness: Scale::of(self.usefulness),
            took_back: self.took_back,
            since_asked: self.since_asked,
            since_answered: self.since_answered,
            acted_on: self.acted_on,
            levers: LEVERS
                .iter()
                .zip(self.levers)
                .map(|((code, label), (took_back, acted_on))| LeverFeedback {
                    code: code.to_string(),
                    label: label.to_string(),
                    took_back,
                    acted_on,
                })
                .collect(),
        }
    }
}

/// One session's feedback.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SessionFeedback {
    pub session_id: i64,
    /// The session's local date, `YYYY-MM-DD`.
    pub date: String,
    pub title: String,
    pub figures: Figures,
}

/// A free-text answer, with its session (never who wrote it).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TextAnswer {
    pub session_id: i64,
    /// The session's local date, `YYYY-MM-DD`.
    pub date: String,
    pub session: String,
    /// The question as asked ("What changed?" for the later question).
    pub question: String,
    /// take_back, topics, since_changed, or empty for the series' own.
    pub role: String,
    pub text: String,
}

/// The label the later question's free text is listed under.
pub const SINCE_CHANGED_LABEL: &str = "What changed? (asked later)";

/// The figures per session (oldest first), over them all, and the free
/// text (newest session first).
pub fn count(
    sessions: &[SessionRow],
    evaluations: &[Evaluation],
) -> (Vec<SessionFeedback>, Figures, Vec<TextAnswer>) {
    let mut total = Tally::default();
    let mut per_session = Vec::with_capacity(sessions.len());
    let mut texts = Vec::new();
    for s in sessions {
        let mut tally = Tally {
            registrants: s.registrants,
            ..Tally::default()
        };
        let theirs: Vec<&Evaluation> = evaluations
            .iter()
            .filter(|e| e.session_id == s.id)
            .collect();
        for e in &theirs {
            tally.count(e);
        }
        total.add(&tally);
        per_session.push(SessionFeedback {
            session_id: s.id,
            date: s.date.clone(),
            title: s.title.clone(),
            figures: tally.figures(),
        });
        let mut session_texts = Vec::new();
        for e in theirs {
            let text = |question: &str, role: &str, text: &str| TextAnswer {
                session_id: s.id,
                date: s.date.clone(),
                session: s.title.clone(),
                question: question.to_string(),
                role: role.to_string(),
                text: text.to_string(),
            };
            for a in &e.answers {
                let free = [TAKE_BACK, TOPICS].contains(&a.role.as_str())
                    || (a.role == OWN && a.kind == Kind::Text);
                if free && !a.value.trim().is_empty() {
                    session_texts.push(text(&a.label, &a.role, a.value.trim()));
                }
            }
            if !e.since_changed.trim().is_empty() {
                session_texts.push(text(
                    SINCE_CHANGED_LABEL,
                    SINCE_CHANGED,
                    e.since_changed.trim(),
                ));
            }
        }
        texts.push(session_texts);
    }
    let texts = texts.into_iter().rev().flatten().collect();
    (per_session, total.figures(), texts)
}

/// A series' feedback over `[from, to)` (sessions ended by `now`), as
/// the reports page shows it: per session, over them all, the free text.
pub fn for_series(
    conn: &mut crate::db::DbConnection,
    series_id: i64,
    from: chrono::NaiveDateTime,
    to: chrono::NaiveDateTime,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<(Vec<SessionFeedback>, Figures, Vec<TextAnswer>)> {
    let loaded = store::load(conn, series_id, from, to, now)?;
    Ok(count(&loaded.sessions, &loaded.evaluations))
}

#[cfg(test)]
mod tests;
