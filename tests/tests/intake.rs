//! The intake service end to end: gRPC over a real socket, a fresh PostgreSQL database and a real
//! Kafka-protocol broker per test.

use sea_orm::{ConnectionTrait, DatabaseTransaction, Statement};
use tonic::Code;
use xinfang_events::consumer::{EventConsumer, EventHandler, HandlerError};
use xinfang_events::relay::Relay;
use xinfang_events::{Envelope, Payload};
use xinfang_platform::config::{EventSettings, Settings};
use xinfang_proto::xinfang::intake::v1::*;
use xinfang_proto::xinfang::petition::v1::{FlagKind, PetitionState};
use xinfang_testkit::broker::Broker;
use xinfang_testkit::database::TestDatabase;
use xinfang_testkit::kafka::{group_caught_up, read_all, read_until};
use xinfang_testkit::services::{settings, settings_with, spawn_intake};
use xinfang_testkit::{authed, eventually, resident_id, token, wage_claim};

const TOPIC: &str = "xinfang.intake.events";

async fn kafka_node() -> (TestDatabase, Broker) {
    let db = TestDatabase::create().await;
    let broker = Broker::start().await;
    broker.create_topic(TOPIC, 3).await;
    (db, broker)
}

#[tokio::test]
async fn a_registered_petition_is_stored_and_its_event_reaches_kafka_keyed_by_petition() {
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;

    let response = client
        .register_petition(authed(
            wage_claim("k-1", &resident_id(1)),
            &token("east-t1"),
        ))
        .await
        .expect("registered")
        .into_inner();
    let petition = response.petition.unwrap();
    assert_eq!(petition.state, PetitionState::Registered as i32);
    assert!(
        petition.case_number.starts_with("340100-"),
        "{}",
        petition.case_number
    );
    assert_eq!(response.query_code.len(), 12);

    assert_eq!(
        db.count(&format!("intake_petition WHERE id = '{}'", petition.id))
            .await,
        1
    );
    assert_eq!(db.count("intake_petitioner").await, 1);
    assert_eq!(db.count("intake_audit").await, 1);

    let records = read_until(&broker.address(), TOPIC, 30, |r| !r.is_empty()).await;
    assert_eq!(records.len(), 1, "one event on the topic");
    let record = &records[0];
    assert_eq!(record.key, petition.id, "the Kafka key is the petition id");
    assert_eq!(record.envelope.petition_id, petition.id);
    assert_eq!(record.envelope.sequence, 1);
    assert_eq!(record.envelope.event_type, "PetitionRegistered");
    assert_eq!(record.event_id_header, record.envelope.event_id);
    // The registration's trace continues in whoever consumes the event.
    assert_eq!(record.envelope.traceparent.len(), 55, "a W3C traceparent");
    assert_eq!(record.traceparent_header, record.envelope.traceparent);
    let Some(Payload::PetitionRegistered(event)) = &record.envelope.payload else {
        panic!("a PetitionRegistered payload");
    };
    assert_eq!(event.case_number, petition.case_number);
    assert!(event.visit && !event.online);

    // The relay marked it sent.
    assert!(
        db.reaches("intake_outbox WHERE sent_at IS NULL", 0, 10)
            .await,
        "the relay marked every row sent"
    );
    intake.stop().await;
}

#[tokio::test]
async fn the_same_idempotency_key_gives_one_petition_and_one_event() {
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;
    let clerk = token("east-t1");
    let request = wage_claim("same-key", &resident_id(2));

    let first = client
        .register_petition(authed(request.clone(), &clerk))
        .await
        .unwrap()
        .into_inner();
    let again = client
        .register_petition(authed(request.clone(), &clerk))
        .await
        .unwrap()
        .into_inner();
    assert!(!first.replayed && again.replayed);
    assert_eq!(
        first.petition.unwrap().id,
        again.petition.as_ref().unwrap().id
    );
    assert_eq!(
        first.query_code, again.query_code,
        "the replay gives the same query code"
    );

    let mut other_body = request.clone();
    other_body.content = "另一件事".into();
    let err = client
        .register_petition(authed(other_body, &clerk))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists);
    assert!(err.message().contains("same-key"));

    assert_eq!(db.count("intake_petition").await, 1);
    assert_eq!(db.count("intake_outbox").await, 1);
    let id = again.petition.unwrap().id;
    // Once the relay has marked everything sent, the topic holds all it ever will.
    assert!(
        db.reaches("intake_outbox WHERE sent_at IS NULL", 0, 30)
            .await
    );
    let records = read_all(&broker.address(), TOPIC).await;
    assert_eq!(records.iter().filter(|r| r.key == id).count(), 1);
    assert_eq!(records.len(), 1, "exactly one event on the topic");
    intake.stop().await;
}

/// A double-clicked form sent eight times at once: a clerk's key is checked by its unique index
/// as the rows are written, all copies but one fail on it, and none of the losers' rows
/// (petitioner, event, audit entry) stays behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_key_sent_eight_times_at_once_registers_one_petition_whole() {
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let client = intake.intake_client().await;
    let clerk = token("east-t1");
    let request = wage_claim("clicked-eight-times", &resident_id(3));
    let calls = (0..8).map(|_| {
        let (mut client, request, clerk) = (client.clone(), request.clone(), clerk.clone());
        tokio::spawn(async move { client.register_petition(authed(request, &clerk)).await })
    });
    let answers: Vec<_> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|joined| {
            joined
                .unwrap()
                .expect("every copy is answered")
                .into_inner()
        })
        .collect();
    xinfang_testkit::assert_one_petition(&answers);
    for table in [
        "intake_petition",
        "intake_petitioner",
        "intake_outbox",
        "intake_audit",
    ] {
        assert_eq!(db.count(table).await, 1, "{table}");
    }
    intake.stop().await;
}

#[tokio::test]
async fn invalid_input_is_refused_naming_the_field_and_nothing_is_written() {
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;
    let clerk = token("east-t1");

    let mut bad_id = wage_claim("bad-id", "340102198001010011");
    bad_id.petitioners[0].id_number = {
        let good = resident_id(3);
        let wrong = if good.ends_with('0') { '1' } else { '0' };
        format!("{}{wrong}", &good[..17])
    };
    let mut unknown_region = wage_claim("bad-region", &resident_id(4));
    unknown_region.region_code = "340102999".into();
    let mut empty = wage_claim("empty", &resident_id(5));
    empty.content = "   ".into();

    for (request, field) in [
        (bad_id, "petitioners[0].id_number"),
        (unknown_region, "region_code"),
        (empty, "content"),
    ] {
        let err = client
            .register_petition(authed(request, &clerk))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument);
        assert!(
            err.message().contains(field),
            "{field} named in {:?}",
            err.message()
        );
    }
    for table in [
        "intake_petition",
        "intake_petitioner",
        "intake_outbox",
        "intake_audit",
    ] {
        assert_eq!(db.count(table).await, 0, "nothing written to {table}");
    }
    intake.stop().await;
}

#[tokio::test]
async fn a_repeat_petition_is_linked_and_a_terminated_matter_is_not_accepted_again() {
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;
    let clerk = token("east-t1");
    let person = resident_id(6);

    let original = client
        .register_petition(authed(wage_claim("first", &person), &clerk))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap();
    let repeat = client
        .register_petition(authed(wage_claim("second", &person), &clerk))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap();
    assert_eq!(repeat.state, PetitionState::Linked as i32);
    assert_eq!(repeat.linked_petition_id, original.id);
    assert!(!repeat.first_time_here);
    let flag = repeat
        .flags
        .iter()
        .find(|f| f.kind == FlagKind::Repeat as i32)
        .expect("repeat flag");
    assert_eq!(flag.related_petition_id, original.id);
    assert!(!flag.explanation.is_empty());

    // The original went through 复核 and was terminated (the evaluation service's effect,
    // written here directly until that service exists).
    db.db
        .execute_unprepared(&format!(
            "UPDATE intake_petition SET state = 'terminated' WHERE id = '{}'",
            original.id
        ))
        .await
        .unwrap();
    let refused = client
        .register_petition(authed(wage_claim("third", &person), &clerk))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap();
    assert_eq!(refused.state, PetitionState::NotReaccepted as i32);
    assert!(
        refused
            .flags
            .iter()
            .any(|f| f.kind == FlagKind::TerminatedMatter as i32)
    );

    // Someone else on the same matter is a new case.
    let neighbour = client
        .register_petition(authed(wage_claim("fourth", &resident_id(7)), &clerk))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap();
    assert_eq!(neighbour.state, PetitionState::Registered as i32);
    intake.stop().await;
}

/// The probe consumer's effect: one row per application.
struct Probe;

impl EventHandler for Probe {
    async fn apply(
        &self,
        txn: &DatabaseTransaction,
        envelope: &Envelope,
    ) -> Result<(), HandlerError> {
        txn.execute_raw(Statement::from_sql_and_values(
            txn.get_database_backend(),
            "INSERT INTO probe_effect (petition_id, event_id) VALUES ($1, $2)",
            [
                envelope.petition_id.clone().into(),
                envelope.event_id.clone().into(),
            ],
        ))
        .await?;
        Ok(())
    }
}

#[tokio::test]
async fn a_relay_killed_between_publishing_and_marking_leads_to_exactly_one_application() {
    let (db, broker) = kafka_node().await;
    // Intake without its own relay: this test drives the relay by hand.
    let intake = spawn_intake(settings_with(
        &db.url,
        Some(&broker.address()),
        &[("events.relay_enabled", "false")],
    ))
    .await;
    let mut client = intake.intake_client().await;
    let petition = client
        .register_petition(authed(
            wage_claim("relay", &resident_id(8)),
            &token("east-t1"),
        ))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap();

    let relay = Relay::new(db.db.clone(), "intake", &broker.address(), 100).unwrap();
    let mut batch = relay.claim().await.unwrap().expect("the lease");
    assert_eq!(batch.len(), 1);
    batch.publish().await.expect("published");
    drop(batch); // the process dies before marking: the transaction never commits
    assert_eq!(db.count("intake_outbox WHERE sent_at IS NULL").await, 1);

    let restarted = Relay::new(db.db.clone(), "intake", &broker.address(), 100).unwrap();
    // The dead relay's lease went with its uncommitted transaction.
    drop(relay);
    let sent = eventually(45, || async {
        restarted.relay_once().await.ok().filter(|n| *n == 1)
    })
    .await;
    assert_eq!(
        sent,
        Some(1),
        "the restarted relay publishes the row again and marks it"
    );
    let copies = read_until(&broker.address(), TOPIC, 30, |r| r.len() >= 2).await;
    assert_eq!(copies.len(), 2, "the event is on the topic twice");

    db.db
        .execute_unprepared(
            "CREATE TABLE probe_inbox (consumer TEXT, event_id TEXT, topic TEXT, applied_at TIMESTAMPTZ, PRIMARY KEY (consumer, event_id));
             CREATE TABLE probe_effect (id SERIAL PRIMARY KEY, petition_id TEXT, event_id TEXT);",
        )
        .await
        .unwrap();
    let group = format!("probe-{}", uuid::Uuid::new_v4());
    let consumer = EventConsumer::new(
        db.db.clone(),
        "probe",
        &group,
        &EventSettings {
            brokers: broker.address(),
            ..Settings::default().events
        },
        &[TOPIC],
        Probe,
    )
    .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(consumer.run(stop.clone().cancelled_owned()));
    let caught_up = eventually(60, || async {
        group_caught_up(&broker.address(), &group, TOPIC).then_some(())
    })
    .await;
    assert!(caught_up.is_some(), "the consumer read both copies");
    stop.cancel();
    running.await.unwrap();
    assert_eq!(
        db.count(&format!(
            "probe_effect WHERE petition_id = '{}'",
            petition.id
        ))
        .await,
        1
    );
    intake.stop().await;
}

#[tokio::test]
async fn petitions_registered_while_the_broker_is_down_are_all_published_when_it_is_back() {
    let (db, mut broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;
    let clerk = token("east-t1");

    broker.stop();
    let mut ids = Vec::new();
    for n in 0..5 {
        let response = client
            .register_petition(authed(
                wage_claim(&format!("down-{n}"), &resident_id(20 + n)),
                &clerk,
            ))
            .await
            .expect("registration does not need the broker");
        ids.push(response.into_inner().petition.unwrap().id);
    }
    assert_eq!(
        db.count("intake_outbox WHERE sent_at IS NULL").await,
        5,
        "nothing marked sent while down"
    );

    broker.resume().await;
    broker.create_topic(TOPIC, 3).await;
    let records = read_until(&broker.address(), TOPIC, 90, |r| {
        ids.iter().all(|id| r.iter().any(|x| &x.key == id))
    })
    .await;
    for id in &ids {
        assert!(
            records.iter().any(|r| &r.key == id),
            "event of {id} published after the outage"
        );
    }
    assert!(
        db.reaches("intake_outbox WHERE sent_at IS NULL", 0, 30)
            .await,
        "the relay marked every row sent"
    );
    intake.stop().await;
}

#[tokio::test]
async fn a_township_user_cannot_get_or_list_another_townships_petitions() {
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;
    let petition = client
        .register_petition(authed(
            wage_claim("scoped", &resident_id(9)),
            &token("east-t1"),
        ))
        .await
        .unwrap()
        .into_inner()
        .petition
        .unwrap();
    let get = |unit: &str| {
        authed(
            GetPetitionRequest {
                id: petition.id.clone(),
            },
            &token(unit),
        )
    };
    let list = |unit: &str| authed(ListPetitionsRequest::default(), &token(unit));

    assert_eq!(
        client
            .get_petition(get("east-t2"))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert!(
        client
            .list_petitions(list("east-t2"))
            .await
            .unwrap()
            .into_inner()
            .petitions
            .is_empty()
    );
    assert!(
        client
            .list_petitions(list("west-xfj"))
            .await
            .unwrap()
            .into_inner()
            .petitions
            .is_empty()
    );
    // Its own township, its county and the city see it.
    for unit in ["east-t1", "east-xfj", "city-xfj"] {
        assert_eq!(
            client
                .get_petition(get(unit))
                .await
                .unwrap()
                .into_inner()
                .id,
            petition.id
        );
        assert_eq!(
            client
                .list_petitions(list(unit))
                .await
                .unwrap()
                .into_inner()
                .petitions
                .len(),
            1
        );
    }
    // Without a token there is no clerk's view at all.
    let anonymous = tonic::Request::new(GetPetitionRequest {
        id: petition.id.clone(),
    });
    assert_eq!(
        client.get_petition(anonymous).await.unwrap_err().code(),
        Code::Unauthenticated
    );
    intake.stop().await;
}

#[tokio::test]
async fn no_id_or_phone_number_in_clear_in_logs_events_or_tables() {
    let logs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || LogSink(writer.clone()))
        .finish();
    // The test runtime is single-threaded, so the spawned service logs here too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;
    let id_number = resident_id(10);
    let phone = "13912345678";
    let mut request = wage_claim("pii", &id_number);
    request.petitioners[0].phone = phone.into();
    let response = client
        .register_petition(authed(request, &token("east-t1")))
        .await
        .unwrap()
        .into_inner();
    let shown = &response.petition.unwrap().petitioners[0];
    assert_eq!(
        shown.id_number,
        format!("3401**********{}", &id_number[14..])
    );
    assert_eq!(shown.phone, "139****5678");

    let records = read_until(&broker.address(), TOPIC, 30, |r| !r.is_empty()).await;
    assert_eq!(records.len(), 1);
    intake.stop().await;

    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(logged.contains("registered"), "the registration was logged");
    let birth_and_serial = &id_number[6..17];
    for (place, text) in [
        ("logs", logged),
        (
            "the event",
            String::from_utf8_lossy(&records[0].raw).into_owned(),
        ),
        ("petitioner rows", db.dump("intake_petitioner").await),
        ("audit rows", db.dump("intake_audit").await),
        ("outbox rows", db.dump("intake_outbox").await),
    ] {
        assert!(
            !text.contains(birth_and_serial),
            "ID number in clear in {place}"
        );
        assert!(!text.contains(phone), "phone number in clear in {place}");
    }
}

#[derive(Clone)]
struct LogSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_citizen_tracks_the_item_with_the_query_code_and_sees_no_identity() {
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;
    // A citizen submits online without a token.
    let mut online = wage_claim("citizen", &resident_id(11));
    online.channel_code = "0100".into();
    let response = client.register_petition(online).await.unwrap().into_inner();
    // It goes to the petition office of the district the matter lies in.
    assert_eq!(
        response.petition.as_ref().unwrap().registering_unit,
        "east-xfj"
    );

    let tracked = client
        .track_by_query_code(TrackByQueryCodeRequest {
            query_code: response.query_code.to_lowercase(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tracked.case_number, response.petition.unwrap().case_number);
    assert_eq!(tracked.petitioner_names, vec!["张*".to_owned()]);
    assert_eq!(tracked.steps[0].title, "已登记");

    let wrong = TrackByQueryCodeRequest {
        query_code: "AAAAAAAAAAAA".into(),
    };
    assert_eq!(
        client.track_by_query_code(wrong).await.unwrap_err().code(),
        Code::NotFound
    );
    // A citizen cannot register a visit as if they were a clerk.
    let err = client
        .register_petition(wage_claim("visit", &resident_id(12)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("channel_code"));
    intake.stop().await;
}

/// An intake client whose calls come from `address` (another loopback address is another
/// citizen's).
async fn client_from(
    intake: &xinfang_testkit::services::RunningService,
    address: &str,
) -> xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient<
    tonic::transport::Channel,
> {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", intake.addr))
        .unwrap()
        .local_address(Some(address.parse().unwrap()))
        .connect()
        .await
        .unwrap();
    xinfang_proto::xinfang::intake::v1::intake_service_client::IntakeServiceClient::new(channel)
}

/// An online submission: the online channel, no token.
fn online(key: &str, id_number: &str) -> RegisterPetitionRequest {
    RegisterPetitionRequest {
        channel_code: "0100".into(),
        ..wage_claim(key, id_number)
    }
}

#[tokio::test]
async fn a_flood_of_online_submissions_from_one_address_is_held_and_others_are_served() {
    use tonic_types::StatusExt;
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut flood = client_from(&intake, "127.0.0.1").await;
    let (mut accepted, mut refused) = (0, 0);
    for n in 0..300u32 {
        let request = tonic::Request::new(online(&format!("flood-{n}"), &resident_id(n)));
        match flood.register_petition(request).await {
            Ok(r) => {
                accepted += 1;
                // The citizen's item goes to the petition office of the region they chose.
                assert_eq!(
                    r.into_inner().petition.unwrap().registering_unit,
                    "east-xfj"
                );
            }
            Err(status) => {
                refused += 1;
                assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                let details = status.get_error_details();
                assert_eq!(details.error_info().unwrap().reason, "XF_RATE_LIMITED");
                assert!(details.retry_info().unwrap().retry_delay.is_some());
            }
        }
    }
    assert_eq!(accepted + refused, 300);
    assert!(
        accepted <= 20,
        "the hourly limit of one address holds: {accepted}"
    );
    // A retry of a submission already registered is answered as one, though the address has
    // used up its hour: a citizen's key is looked up before the call is counted.
    let again = flood
        .register_petition(tonic::Request::new(online("flood-0", &resident_id(0))))
        .await
        .expect("a citizen's retry is answered")
        .into_inner();
    assert!(again.replayed);
    // Nothing half-written: every accepted item whole, nothing of the refused ones.
    assert_eq!(db.count("intake_petition").await, accepted);
    assert_eq!(db.count("intake_petitioner").await, accepted);
    assert_eq!(db.count("intake_outbox").await, accepted);

    // Another address is served; a named unit is refused for a citizen.
    let mut other = client_from(&intake, "127.0.0.2").await;
    other
        .register_petition(tonic::Request::new(online("neighbour", &resident_id(500))))
        .await
        .expect("another address is served");
    let named = RegisterPetitionRequest {
        registering_unit: "city-rsj".into(),
        ..online("named", &resident_id(501))
    };
    let err = other
        .register_petition(tonic::Request::new(named))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(err.message().contains("registering_unit"));

    // One person, many addresses: five a day.
    let mut outcomes = Vec::new();
    for n in 0..6u8 {
        let mut client = client_from(&intake, &format!("127.0.1.{}", n + 1)).await;
        let request = tonic::Request::new(online(&format!("same-{n}"), &resident_id(777)));
        outcomes.push(client.register_petition(request).await.is_ok());
    }
    assert_eq!(outcomes, [true, true, true, true, true, false]);
    intake.stop().await;
}

#[tokio::test]
async fn idempotency_keys_are_the_callers_own() {
    let (db, broker) = kafka_node().await;
    let intake = spawn_intake(settings(&db.url, Some(&broker.address()))).await;
    let mut client = intake.intake_client().await;
    let same_key = |id: u32| wage_claim("shared-key", &resident_id(id));
    let first = client
        .register_petition(authed(same_key(1), &token("east-t1")))
        .await
        .unwrap()
        .into_inner();
    // Another user's request with the same key is its own petition, not a conflict or a replay.
    let second = client
        .register_petition(authed(same_key(2), &token("east-t2")))
        .await
        .unwrap()
        .into_inner();
    assert!(!second.replayed);
    assert_ne!(first.petition.unwrap().id, second.petition.unwrap().id);
    assert_eq!(db.count("intake_petition").await, 2);
    intake.stop().await;
}
