//! The metrics of domain.md over the items supervision follows, by region, organ or channel, on
//! a chosen date basis. Figures come from the kept counts (`counts`); the items behind a figure
//! are found with the same definitions written as conditions on the items' facts.
//!
//! | metric | numerator | denominator |
//! |---|---|---|
//! | 及时受理率 | accepted within the limit | accepted (in time or late) + overdue not accepted |
//! | 按期办结率 | answered by the (extended) due date | items whose answer was due in the period, given or overdue [default] |
//! | 参评率 | evaluated | evaluated + evaluation window passed |
//! | 满意率 | 满意 + 基本满意 | evaluated |
//! | 重复信访率 | repeat items | all items |
//! | 网信占比 | online items | all items |
//! | 初信初访一次性办结率 | first-time items answered and never repeated | first-time items answered [default] |
//! | 越级上访率 | bypass visits | visits [default] |
//! | 漏排率 | escalated, matter not reported before | escalated (group or bypass visits) [default] |

use crate::entity::item;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Func, Query, SelectStatement, SimpleExpr};
use sea_orm::{ConnectionTrait, DbErr};
use xinfang_domain::metrics::{DateBasis, Definitions, Metric, Ratio};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Region,
    Organ,
    Channel,
}

/// What to count: where (a region prefix), when (a period on a basis), grouped how.
#[derive(Debug, Clone)]
pub struct MetricQuery {
    pub region_prefix: String,
    /// A department's own figures only (its scope): the organ dimension, this organ.
    pub organ: Option<String>,
    pub dimension: Dimension,
    /// Petitioned, registered or exchanged (按期办结率 is always dated by its due date).
    pub basis: DateBasis,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub definitions: Definitions,
}

fn col(c: item::Column) -> Expr {
    Expr::col((item::Entity, c))
}

fn yes(c: item::Column) -> SimpleExpr {
    col(c).eq(true)
}

impl MetricQuery {
    fn basis_column(&self) -> item::Column {
        match self.basis {
            DateBasis::Petitioned => item::Column::PetitionedOn,
            DateBasis::Exchanged => item::Column::ExchangedOn,
            DateBasis::Registered | DateBasis::Due => item::Column::RegisteredOn,
        }
    }

    fn in_period(&self, c: item::Column) -> SimpleExpr {
        col(c).between(self.from.to_string(), self.to.to_string())
    }

    /// How many leading digits of the region code make a group: the level below the prefix.
    pub(crate) fn region_digits(&self) -> i32 {
        match self.region_prefix.len() {
            0..=2 => 4,
            3..=4 => 6,
            _ => 9,
        }
    }

    fn group(&self) -> SimpleExpr {
        match self.dimension {
            Dimension::Region => Func::cust("SUBSTR")
                .arg(col(item::Column::RegionCode))
                .arg(1)
                .arg(self.region_digits())
                .into(),
            Dimension::Organ => {
                Func::coalesce([col(item::Column::OrganCode), Expr::val("")]).into()
            }
            Dimension::Channel => col(item::Column::ChannelCode),
        }
    }

    /// The numerator's and the denominator's condition of an item metric.
    pub fn parts(&self, metric: Metric) -> Option<(SimpleExpr, SimpleExpr)> {
        use item::Column as C;
        let period = self.in_period(self.basis_column());
        let (numerator, denominator) = match metric {
            Metric::TimelyAcceptance => (
                col(C::AcceptedOn).is_not_null().and(yes(C::AcceptedInTime)),
                col(C::AcceptedOn)
                    .is_not_null()
                    .or(yes(C::AcceptanceOverdue)),
            ),
            Metric::OnTimeConclusion => {
                let dated = if self.definitions.on_time_by_due_date {
                    self.in_period(C::AnswerDue)
                } else {
                    period.clone()
                };
                let due = dated
                    .and(col(C::AnswerDue).is_not_null())
                    .and(col(C::AnsweredOn).is_not_null().or(yes(C::AnswerOverdue)));
                return Some((due.clone().and(yes(C::AnsweredOnTime)), due));
            }
            Metric::EvaluationParticipation => (
                yes(C::Evaluated),
                yes(C::Evaluated).or(yes(C::EvaluationMissed)),
            ),
            Metric::Satisfaction => (yes(C::Evaluated).and(yes(C::Satisfied)), yes(C::Evaluated)),
            Metric::RepeatRate => (yes(C::Repeat), Expr::value(true)),
            Metric::OnlineShare => (yes(C::Online), Expr::value(true)),
            Metric::FirstTimeOnePass => {
                let closed = yes(C::FirstTime).and(col(C::AnsweredOn).is_not_null());
                (closed.clone().and(col(C::RepeatedLater).eq(false)), closed)
            }
            Metric::BypassRate if self.definitions.bypass_over_visits => {
                (yes(C::Visit).and(yes(C::Bypass)), yes(C::Visit))
            }
            Metric::BypassRate => (yes(C::Visit).and(yes(C::Bypass)), Expr::value(true)),
            Metric::MissedScreening => (
                yes(C::Escalated).and(col(C::Screened).eq(false)),
                yes(C::Escalated),
            ),
            Metric::ResolutionRate | Metric::ClosureRate => return None,
        };
        Some((period.clone().and(numerator), period.and(denominator)))
    }

    fn scope(&self) -> SimpleExpr {
        let region = col(item::Column::RegionCode).like(format!("{}%", self.region_prefix));
        match &self.organ {
            Some(organ) => region.and(col(item::Column::OrganCode).eq(organ.as_str())),
            None => region,
        }
    }

    /// The ids of the items in the query's scope, as a subquery.
    pub fn scoped_ids(&self) -> SelectStatement {
        Query::select()
            .column(item::Column::PetitionId)
            .from(item::Entity)
            .and_where(self.scope())
            .to_owned()
    }

    /// The items in the query's scope meeting `condition` (a part of [`Self::parts`]): their
    /// ids and channels.
    pub async fn matching(
        &self,
        db: &impl ConnectionTrait,
        condition: SimpleExpr,
    ) -> Result<Vec<(String, String)>, DbErr> {
        let select = Query::select()
            .column(item::Column::PetitionId)
            .column(item::Column::ChannelCode)
            .from(item::Entity)
            .and_where(self.scope())
            .and_where(condition)
            .to_owned();
        db.query_all(&select)
            .await?
            .into_iter()
            .map(|r| {
                Ok((
                    r.try_get("", "petition_id")?,
                    r.try_get("", "channel_code")?,
                ))
            })
            .collect()
    }

    /// Counts `metrics` per group, from the kept counts.
    pub async fn count(
        &self,
        db: &impl ConnectionTrait,
        metrics: &[Metric],
    ) -> Result<Vec<(String, Metric, Ratio)>, DbErr> {
        crate::counts::read(db, self, metrics).await
    }

    /// The items behind one figure: a metric's numerator or denominator in one group.
    pub async fn items(
        &self,
        db: &impl ConnectionTrait,
        metric: Metric,
        group: &str,
        numerator: bool,
        after: &str,
        limit: u64,
    ) -> Result<Vec<String>, DbErr> {
        let Some((n, d)) = self.parts(metric) else {
            return Ok(Vec::new());
        };
        let select = Query::select()
            .column(item::Column::PetitionId)
            .from(item::Entity)
            .and_where(self.scope())
            .and_where(if numerator { n } else { d })
            .and_where(self.group().eq(group))
            .and_where(col(item::Column::PetitionId).gt(after))
            .order_by(item::Column::PetitionId, sea_orm::sea_query::Order::Asc)
            .limit(limit)
            .to_owned();
        db.query_all(&select)
            .await?
            .into_iter()
            .map(|r| r.try_get("", "petition_id"))
            .collect()
    }
}
