//! Parsing a `RegisterPetitionRequest` into the domain's [`Registration`], checked against the
//! node's code tables and organisation tree. Every problem is collected with the field it belongs
//! to, so the caller learns all of them at once.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use xinfang_domain::FieldError;
use xinfang_domain::identity::{PhoneNumber, ResidentId};
use xinfang_domain::petition::{
    Agent, Attachment, Identity, NewPetitioner, PublicStep, Registration,
};
use xinfang_domain::reference::{OrgUnit, ReferenceData, UnitKind};
use xinfang_domain::region::{RegionCode, RegionLevel};
use xinfang_platform::auth::Caller;
use xinfang_proto::convert::kind_from_wire;
use xinfang_proto::xinfang::intake::v1::RegisterPetitionRequest;
use xinfang_proto::xinfang::petition::v1::{IdType, ItemKind, Petitioner};

/// Art. 20: a group visit elects at most five representatives.
pub const MAX_REPRESENTATIVES: usize = 5;

pub fn parse(
    request: &RegisterPetitionRequest,
    reference: &ReferenceData,
    caller: Option<&Caller>,
    now: DateTime<Utc>,
) -> Result<Registration, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field: &str, message: String| errors.push(FieldError::new(field, message));

    // Lengths, characters, list sizes and ranges are the platform's bounds (`input.*`), checked
    // before any handler runs; what is left here is what the petition rules say.
    if request.idempotency_key.trim().is_empty() {
        fail("idempotency_key", "required".into());
    }
    let kind = match ItemKind::try_from(request.kind) {
        Ok(ItemKind::Unspecified) => ItemKind::Petition,
        Ok(kind) => kind,
        Err(_) => {
            fail("kind", format!("unknown item kind {}", request.kind));
            ItemKind::Petition
        }
    };
    let channel = reference.channels.get(request.channel_code.trim()).cloned();
    match &channel {
        None => fail(
            "channel_code",
            format!(
                "{:?} is not in the node's channel table",
                request.channel_code
            ),
        ),
        Some(c) if caller.is_none() && !c.online => fail(
            "channel_code",
            format!(
                "{} ({}) is registered by a clerk; a citizen submits online",
                c.code, c.name
            ),
        ),
        Some(_) => {}
    }
    let region = match RegionCode::parse(&request.region_code) {
        Ok(r) if reference.org.knows_region(&r) => Some(r),
        Ok(r) => {
            fail(
                "region_code",
                format!("{r} is not a region of this node's organisation tree"),
            );
            None
        }
        Err(e) => {
            fail("region_code", e);
            None
        }
    };
    let category = reference
        .categories
        .get(request.content_category.trim())
        .cloned();
    if category.is_none() {
        fail(
            "content_category",
            format!(
                "{:?} is not in the node's content-category table",
                request.content_category
            ),
        );
    }
    let content = request.content.trim().to_owned();
    if content.is_empty() {
        fail("content", "the petition's content must not be empty".into());
    }
    let title = match request.title.trim() {
        "" => content.chars().take(30).collect(),
        t => t.to_owned(),
    };

    let registering_unit = registering_unit(request, reference, caller, region.as_ref(), &mut fail);

    let mut petitioners = Vec::new();
    for (i, p) in request.petitioners.iter().enumerate() {
        match parse_petitioner(p, region.as_ref()) {
            Ok(p) => petitioners.push(p),
            Err(e) => errors.push(e.within(&format!("petitioners[{i}]"))),
        }
    }
    let mut fail = |field: &str, message: String| errors.push(FieldError::new(field, message));
    if request.petitioners.is_empty() {
        fail(
            "petitioners",
            "at least one petitioner (ID type NONE for an anonymous item)".into(),
        );
    }
    let anonymous = request
        .petitioners
        .iter()
        .filter(|p| p.id_type == IdType::None as i32)
        .count();
    if anonymous > 0 && request.petitioners.len() > 1 {
        fail(
            "petitioners",
            "an anonymous item has a single unnamed petitioner".into(),
        );
    }
    let representatives = request
        .petitioners
        .iter()
        .filter(|p| p.representative)
        .count();
    if channel.as_ref().is_some_and(|c| c.visit) && representatives > MAX_REPRESENTATIVES {
        fail(
            "petitioners",
            format!(
                "a group visit names at most {MAX_REPRESENTATIVES} representatives (Art. 20), got {representatives}"
            ),
        );
    }
    let headcount = match request.headcount {
        0 => request.petitioners.len() as u32,
        n if n < 0 || (n as usize) < request.petitioners.len() => {
            fail(
                "headcount",
                format!(
                    "{n} is fewer than the {} named petitioners",
                    request.petitioners.len()
                ),
            );
            0
        }
        n => n as u32,
    };
    let mut attachments = Vec::new();
    for (i, a) in request.attachments.iter().enumerate() {
        if a.file_name.trim().is_empty() {
            fail(&format!("attachments[{i}].file_name"), "required".into());
        }
        match u64::try_from(a.size_bytes) {
            Ok(size_bytes) => attachments.push(Attachment {
                file_name: a.file_name.trim().to_owned(),
                media_type: a.media_type.clone(),
                size_bytes,
                sha256: a.sha256.clone(),
                storage_uri: a.storage_uri.clone(),
            }),
            Err(_) => fail(
                &format!("attachments[{i}].size_bytes"),
                "must not be negative".into(),
            ),
        }
    }
    let agent = match request.agent.as_ref().filter(|a| !a.name.trim().is_empty()) {
        None => None,
        Some(a) => {
            let phone = match a.phone.trim() {
                "" => None,
                phone => PhoneNumber::parse(phone)
                    .map_err(|e| fail("agent.phone", e))
                    .ok(),
            };
            Some(Agent {
                name: a.name.trim().to_owned(),
                phone,
                organisation: a.organisation.trim().to_owned(),
                relation: a.relation.trim().to_owned(),
            })
        }
    };
    let petitioned_at = match &request.petitioned_at {
        None => now,
        Some(ts) => match DateTime::from_timestamp(ts.seconds, ts.nanos.max(0) as u32) {
            // Kept to the microsecond, as the database keeps it.
            Some(t) if t <= now + Duration::minutes(5) => t.trunc_subsecs(6),
            _ => {
                fail("petitioned_at", "must be a time not in the future".into());
                now
            }
        },
    };
    let visited_level = match request.visited_level.trim() {
        "" => channel
            .as_ref()
            .filter(|c| c.visit)
            .and(registering_unit.as_ref())
            .map(|u| u.level()),
        level => match RegionLevel::parse(level) {
            Some(l) => Some(l),
            None => {
                fail(
                    "visited_level",
                    format!("{level:?} is not province, city, county or township"),
                );
                None
            }
        },
    };

    // Only the exchange, bringing what the province assigned (省交办), gives an item its
    // provincial number.
    let province_number = request.province_number.trim().to_owned();
    if !province_number.is_empty() && !caller.is_some_and(|c| c.has_role("exchange")) {
        errors.push(FieldError::new(
            "province_number",
            "only the exchange registers an item the province assigned",
        ));
    }

    // A transferred item's earlier steps (转有权处理地) come with it from the exchange only.
    let exchange = caller.is_some_and(|c| c.has_role("exchange"));
    let mut history = Vec::with_capacity(request.history.len());
    for (i, step) in request.history.iter().enumerate() {
        let field = format!("history[{i}]");
        if !exchange {
            errors.push(FieldError::new(
                &field,
                "only the exchange brings a transferred item's history",
            ));
            break;
        }
        match step.occurred_at.as_ref().and_then(|t| {
            DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.clamp(0, 999_999_999) as u32)
        }) {
            Some(at) if at <= now + Duration::minutes(5) => history.push(PublicStep {
                kind: step.kind.clone(),
                title: step.title.clone(),
                organ_name: step.organ_name.clone(),
                text: step.text.clone(),
                occurred_at: at,
                // Here the item starts anew: the steps elsewhere move nothing, and their
                // limits are the other city's.
                state: None,
                holder: None,
                due_date: None,
            }),
            _ => errors.push(FieldError::new(
                format!("{field}.occurred_at"),
                "a time not in the future",
            )),
        }
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(channel), Some(region), Some(category), Some(registering_unit)) =
        (channel, region, category, registering_unit)
    else {
        unreachable!("every missing part recorded an error above");
    };
    let matter_key = match request.matter_key.trim() {
        "" => format!("{}:{}", category.code, region),
        key => key.to_owned(),
    };
    Ok(Registration {
        kind: kind_from_wire(kind),
        channel,
        registering_unit,
        region,
        category,
        title,
        content,
        petitioners,
        headcount,
        agent,
        attachments,
        petitioned_at,
        visited_level,
        major_urgent: request.major_urgent,
        threat: request.threat,
        petitioned_elsewhere_before: request.petitioned_elsewhere_before,
        matter_key,
        province_number,
        history,
    })
}

/// The unit registering the item: the one named, else the caller's; a clerk registers only for
/// units in their scope. A citizen's online submission goes to the petition office of the region
/// the citizen chose (the most local one whose region holds it), never to a unit they name.
fn registering_unit(
    request: &RegisterPetitionRequest,
    reference: &ReferenceData,
    caller: Option<&Caller>,
    region: Option<&RegionCode>,
    fail: &mut impl FnMut(&str, String),
) -> Option<OrgUnit> {
    let org = &reference.org;
    let code = match (request.registering_unit.trim(), caller) {
        ("", Some(c)) => c.org_unit.clone(),
        ("", None) => {
            let region = region?;
            match org.most_local(region, &[UnitKind::PetitionOffice]) {
                Some(u) => u.code.clone(),
                None => {
                    fail(
                        "region_code",
                        format!("no petition office of this node receives items of {region}"),
                    );
                    return None;
                }
            }
        }
        (_, None) => {
            fail(
                "registering_unit",
                "an online submission goes to the petition office of its region; it names no unit"
                    .into(),
            );
            return None;
        }
        (code, _) => code.to_owned(),
    };
    let Some(unit) = org.unit(&code) else {
        fail(
            "registering_unit",
            format!("{code:?} is not a unit of this node"),
        );
        return None;
    };
    if let Some(caller) = caller {
        let in_scope = org
            .unit(&caller.org_unit)
            .is_some_and(|own| own.region.contains(&unit.region));
        if !in_scope {
            fail(
                "registering_unit",
                format!("{code} is outside the caller's unit {}", caller.org_unit),
            );
            return None;
        }
    }
    Some(unit.clone())
}

fn parse_petitioner(
    p: &Petitioner,
    matter_region: Option<&RegionCode>,
) -> Result<NewPetitioner, FieldError> {
    let id_type = IdType::try_from(p.id_type)
        .map_err(|_| FieldError::new("id_type", format!("unknown ID type {}", p.id_type)))?;
    let other_number = || {
        let number = p.id_number.trim();
        if number.is_empty() {
            Err(FieldError::new("id_number", "required"))
        } else {
            Ok(number.to_owned())
        }
    };
    let identity = match id_type {
        IdType::None => Identity::Anonymous,
        IdType::ResidentId | IdType::Unspecified => Identity::Resident(
            ResidentId::parse(&p.id_number).map_err(|e| FieldError::new("id_number", e))?,
        ),
        IdType::Passport => Identity::Passport(other_number()?),
        IdType::Other => Identity::Other(other_number()?),
    };
    let name = p.name.trim().to_owned();
    if name.is_empty() && !matches!(identity, Identity::Anonymous) {
        return Err(FieldError::new(
            "name",
            "required unless the item is anonymous",
        ));
    }
    let phone = match p.phone.trim() {
        "" => None,
        phone => Some(PhoneNumber::parse(phone).map_err(|e| FieldError::new("phone", e))?),
    };
    let region = match (p.region_code.trim(), matter_region) {
        ("", Some(r)) => r.clone(),
        ("", None) => {
            return Err(FieldError::new(
                "region_code",
                "required when the item's region is invalid",
            ));
        }
        (code, _) => RegionCode::parse(code).map_err(|e| FieldError::new("region_code", e))?,
    };
    Ok(NewPetitioner {
        name,
        identity,
        phone,
        address: p.address.trim().to_owned(),
        region,
        representative: p.representative,
    })
}
