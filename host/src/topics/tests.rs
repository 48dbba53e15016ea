use super::*;

/// What the tests' topics run under: gale's defaults.
const LIMITS: TopicLimits = TopicLimits {
    max_message: 256 << 10,
    plugin_memory: 16 << 20,
};

fn ids(messages: &[Arc<Published>]) -> Vec<&str> {
    messages.iter().map(|m| &*m.id).collect()
}

/// Topics of `limits` with plugin `p` loaded.
fn loaded(limits: TopicLimits) -> (Topics, Arc<str>) {
    let (topics, plugin) = (Topics::new(limits), Arc::from("p"));
    topics.register(&plugin);
    (topics, plugin)
}

fn publish(topics: &Topics, plugin: &Arc<str>, topic: &str, id: &str, data: &str) {
    topics.publish(plugin, topic, id, data.into()).unwrap();
}

#[test]
fn the_history_after_a_cursor_is_what_came_after_it_or_everything() {
    let (topics, p) = loaded(LIMITS);
    for id in ["a", "b", "c"] {
        publish(&topics, &p, "t", id, "x");
    }
    let topic = topics.topic(&p, "t").unwrap();
    assert_eq!(ids(&topic.since(Some("a"))), ["b", "c"]);
    assert_eq!(ids(&topic.since(Some("c"))), Vec::<&str>::new());
    assert_eq!(ids(&topic.since(None)), ["a", "b", "c"]);
    assert_eq!(ids(&topic.since(Some("gone"))), ["a", "b", "c"]);
}

#[test]
fn the_history_keeps_the_last_200_messages() {
    let (topics, p) = loaded(LIMITS);
    for n in 0..250 {
        publish(&topics, &p, "t", &n.to_string(), "x");
    }
    let kept = topics.topic(&p, "t").unwrap().since(None);
    assert_eq!(kept.len(), HISTORY);
    assert_eq!(&*kept[0].id, "50");
}

#[test]
fn a_subscriber_reads_the_history_after_its_cursor_then_what_follows_in_order() {
    let (topics, p) = loaded(LIMITS);
    publish(&topics, &p, "t", "before", "0");
    publish(&topics, &p, "t", "seen", "1");
    let topic = topics.topic(&p, "t").unwrap();
    let mut from_cursor = topic.subscribe(Some("before"));
    let mut from_now = topic.subscribe_from_now();
    publish(&topics, &p, "t", "2", "two");
    let read = |s: &mut Subscription| s.ready().unwrap().map(|m| m.id.to_string());
    assert_eq!(read(&mut from_cursor).as_deref(), Some("seen"));
    assert_eq!(read(&mut from_cursor).as_deref(), Some("2"));
    assert_eq!(read(&mut from_cursor), None);
    assert_eq!(read(&mut from_now).as_deref(), Some("2"));
    assert_eq!(read(&mut from_now), None);
}

#[test]
fn every_subscriber_shares_one_copy_of_a_message() {
    let (topics, p) = loaded(LIMITS);
    let topic = topics.topic(&p, "t").unwrap();
    let (mut one, mut other) = (topic.subscribe_from_now(), topic.subscribe_from_now());
    publish(&topics, &p, "t", "1", "shared");
    let (one, other) = (
        one.ready().unwrap().unwrap(),
        other.ready().unwrap().unwrap(),
    );
    assert!(Arc::ptr_eq(&one, &other));
}

#[test]
fn a_subscriber_the_history_has_left_behind_is_told_it_lagged() {
    let (topics, p) = loaded(LIMITS);
    let topic = topics.topic(&p, "t").unwrap();
    let mut slow = topic.subscribe_from_now();
    for n in 0..HISTORY + 1 {
        publish(&topics, &p, "t", &n.to_string(), "x");
    }
    assert_eq!(slow.ready(), Err(Lagged));
}

#[test]
fn a_plugins_topics_share_one_budget_and_the_idlest_gives_way() {
    let limits = TopicLimits {
        max_message: 64 << 10,
        plugin_memory: 256 << 10,
    };
    let (topics, p) = loaded(limits);
    let data = "x".repeat(60 << 10);
    for n in 0..3 {
        publish(&topics, &p, "old", &n.to_string(), &data);
    }
    for n in 0..3 {
        publish(&topics, &p, "new", &n.to_string(), &data);
    }
    let held = |name| topics.topic(&p, name).unwrap().since(None).len();
    assert_eq!((held("old"), held("new")), (1, 3));
    let budget = topics.topic(&p, "new").unwrap().budget.clone();
    assert!(
        !budget.over(),
        "{} bytes held",
        budget.held.load(Ordering::Relaxed)
    );
}

#[test]
fn past_the_topic_limit_the_idlest_topic_without_subscribers_makes_way() {
    let (topics, p) = loaded(LIMITS);
    let kept = topics.topic(&p, "0").unwrap();
    let _subscribed = kept.subscribe_from_now();
    for n in 1..MAX_TOPICS {
        publish(&topics, &p, &n.to_string(), "1", "x");
    }
    publish(&topics, &p, "newest", "1", "x");
    assert!(Arc::ptr_eq(&kept, &topics.topic(&p, "0").unwrap()));
    let first_unsubscribed = topics.topic(&p, "1").unwrap();
    assert!(first_unsubscribed.since(None).is_empty(), "made anew");
}

#[test]
fn plugins_have_topics_of_their_own_and_lose_them_when_removed() {
    let topics = Topics::new(LIMITS);
    let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
    assert_eq!(
        topics.topic(&a, "chat").err(),
        Some(TopicError::UnknownPlugin)
    );
    topics.register(&a);
    topics.register(&b);
    publish(&topics, &a, "chat", "1", "from a");
    assert!(topics.topic(&b, "chat").unwrap().since(None).is_empty());
    let chat = topics.topic(&a, "chat").unwrap();
    assert_eq!(chat.since(None).len(), 1);
    topics.remove("a");
    assert!(chat.since(None).is_empty(), "its history is freed");
    assert_eq!(chat.budget.held.load(Ordering::Relaxed), 0);
}

#[test]
fn names_and_messages_are_bounded() {
    let (topics, p) = loaded(LIMITS);
    assert!(topics.topic(&p, "").is_err());
    assert!(topics.topic(&p, &"n".repeat(MAX_NAME + 1)).is_err());
    let large = "x".repeat(LIMITS.max_message + 1);
    assert_eq!(
        topics.publish(&p, "t", "1", large.clone()),
        Err(TopicError::TooLarge(large.len(), 256 << 10))
    );
    assert!(topics.publish(&p, "t", "", "x".into()).is_err());
}
