//! A generated Zoom attendee report for the attendance benches: the new
//! column set, two custom questions, one row in five a rejoin.

use std::io::{self, Write};

const COUNTRIES: &[&str] = &["United States", "Canada", "India", "Mexico", "Ghana"];
const MONTHS: &[&str] = &["Mar", "Apr"];

/// A report as Zoom writes it, in memory.
#[allow(dead_code)]
pub fn report(rows: usize, generated: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(rows * 230);
    write(&mut bytes, rows, generated).unwrap();
    bytes
}

/// A report as Zoom writes it: BOM, preamble, host section, attendees.
/// `generated` goes in the `Report Generated:` line, so two reports of the
/// same rows can differ. Written as it is made: nothing is held.
pub fn write(s: &mut impl Write, rows: usize, generated: &str) -> io::Result<()> {
    s.write_all("\u{feff}".as_bytes())?;
    writeln!(s, "Attendee Report\nReport Generated:,\"{generated}\"")?;
    s.write_all(b"Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),# Registered,# Cancelled,Unique Viewers,Total Users,Max Concurrent Views,\n")?;
    writeln!(
        s,
        "Workforce Solutions Jam,847 5984 1045,\"Mar 22, 2025 18:55:02\",95,{rows},0,{rows},{rows},{rows},\n"
    )?;
    s.write_all(b"Host Details\nUser Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name\n")?;
    s.write_all(b"Jam Host,host@convene.example.org,\"Mar 22, 2025 18:55:02\",\"Mar 22, 2025 20:30:11\",96,No,United States\n\n")?;
    s.write_all(b"Attendee Details\nAttended,User Name (Original Name),First Name,Last Name,Email,Phone,Registration Time,Approval Status,Join Time,Leave Time,Time in Session (minutes),Is Guest,Organization,What do you hope to learn?,Country/Region Name,Source Name\n")?;
    for i in 0..rows {
        // One row in five is someone from three rows back joining again.
        let person = if i % 5 == 4 { i - 3 } else { i };
        let (join_min, stay) = (i % 50, 5 + i % 40);
        let month = MONTHS[person % 2];
        writeln!(
            s,
            "Yes,Person {person} (P{person}),Person,Number{person},Person.{person}@Example.org,+1 555 {:04},\"{month} {:02}, 2025 08:12:45\",approved,\"Mar 22, 2025 19:{join_min:02}:12\",\"Mar 22, 2025 {}:{:02}:40\",{stay},Yes,Workforce Board {},\"Funding, mostly\",{},Newsletter",
            person % 10_000,
            1 + person % 28,
            19 + (join_min + stay) / 60,
            (join_min + stay) % 60,
            person % 300,
            COUNTRIES[person % COUNTRIES.len()],
        )?;
    }
    Ok(())
}
