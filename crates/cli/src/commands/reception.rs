//! `xinfang reception …`: leader receptions (领导接访 / 约访) — the office publishes a leader's
//! day, anyone reads the calendar and books a place, the office records the items received,
//! which become cases packaged to that leader (谁接访、谁包案).

use super::connection::{Connection, local_time};
use super::meeting::call;
use xinfang_proto::xinfang::jointmeeting::v1::*;

#[derive(clap::Subcommand)]
pub enum Command {
    /// A leader's reception day on the caller's calendar (五公开).
    Publish {
        #[command(flatten)]
        conn: Connection,
        #[arg(long)]
        leader: String,
        #[arg(long)]
        post: String,
        /// 分管领域, e.g. 城建、国土
        #[arg(long, default_value = "")]
        portfolio: String,
        /// YYYY-MM-DD
        #[arg(long)]
        date: String,
        #[arg(long)]
        place: String,
        #[arg(long, default_value_t = 10)]
        capacity: i32,
    },
    /// The published calendar of an office (default: the caller's; without --as-unit, every
    /// office), from FROM (default today) for a year, with each leader's counts.
    Calendar {
        #[command(flatten)]
        conn: Connection,
        #[arg(long, default_value = "")]
        office: String,
        #[arg(long, default_value = "")]
        from: String,
        #[arg(long, default_value = "")]
        to: String,
    },
    /// 约访: book a place (no --as-unit: as the citizen, through the public channel).
    Book {
        #[command(flatten)]
        conn: Connection,
        day: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        #[arg(long)]
        matter: String,
    },
    /// The leader received ITEM (registered already), from a booking if given.
    Record {
        #[command(flatten)]
        conn: Connection,
        day: String,
        item: String,
        #[arg(long, default_value = "")]
        booking: String,
    },
    /// A day with its bookings (phones masked) and the items received.
    Show {
        #[command(flatten)]
        conn: Connection,
        day: String,
    },
}

impl Command {
    pub async fn run(self) -> anyhow::Result<()> {
        let day = match self {
            Command::Publish {
                conn,
                leader,
                post,
                portfolio,
                date,
                place,
                capacity,
            } => {
                let message = PublishReceptionDayRequest {
                    leader_name: leader,
                    leader_post: post,
                    portfolio,
                    date,
                    place,
                    capacity,
                };
                call(&conn, message, |mut c, r| async move {
                    c.publish_reception_day(r).await
                })
                .await?
            }
            Command::Calendar {
                conn,
                office,
                from,
                to,
            } => {
                let message = ListReceptionCalendarRequest {
                    office_code: office,
                    from_date: from,
                    to_date: to,
                };
                let calendar = call(&conn, message, |mut c, r| async move {
                    c.list_reception_calendar(r).await
                })
                .await?;
                for d in &calendar.days {
                    println!(
                        "{}  {}  {} {}（{}）  {}  booked {}/{}",
                        d.id,
                        d.date,
                        d.leader_post,
                        d.leader_name,
                        d.portfolio,
                        d.place,
                        d.booked,
                        d.capacity
                    );
                }
                for l in &calendar.leaders {
                    println!(
                        "{} {}: 接访 {} 次，接待事项 {} 件",
                        l.leader_post, l.leader_name, l.days, l.items_received
                    );
                }
                return Ok(());
            }
            Command::Book {
                conn,
                day,
                name,
                phone,
                matter,
            } => {
                let message = BookReceptionRequest {
                    reception_day_id: day,
                    name,
                    phone,
                    matter,
                };
                let b = call(&conn, message, |mut c, r| async move {
                    c.book_reception(r).await
                })
                .await?;
                println!(
                    "booking {} for day {}: {} {} at {}",
                    b.id,
                    b.reception_day_id,
                    b.name,
                    b.phone_masked,
                    local_time(b.booked_at)
                );
                return Ok(());
            }
            Command::Record {
                conn,
                day,
                item,
                booking,
            } => {
                let message = RecordReceptionRequest {
                    reception_day_id: day,
                    petition_id: item,
                    booking_id: booking,
                };
                call(&conn, message, |mut c, r| async move {
                    c.record_reception(r).await
                })
                .await?
            }
            Command::Show { conn, day } => {
                let message = GetReceptionDayRequest {
                    reception_day_id: day,
                };
                call(&conn, message, |mut c, r| async move {
                    c.get_reception_day(r).await
                })
                .await?
            }
        };
        print_day(&day);
        Ok(())
    }
}

fn print_day(d: &ReceptionDay) {
    println!(
        "reception {}  {}  {} {}（{}）  {}  office {}  booked {}/{}",
        d.id,
        d.date,
        d.leader_post,
        d.leader_name,
        d.portfolio,
        d.place,
        d.office_code,
        d.booked,
        d.capacity
    );
    for b in &d.bookings {
        println!(
            "  booking {}  {} {}  {}",
            b.id, b.name, b.phone_masked, b.matter
        );
    }
    for r in &d.received {
        let from = if r.booking_id.is_empty() {
            "in the hall".to_owned()
        } else {
            format!("booking {}", r.booking_id)
        };
        println!("  received {}  {}  ({from})", r.petition_id, r.case_number);
    }
}
