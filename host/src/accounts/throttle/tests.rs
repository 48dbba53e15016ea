use super::*;

/// A throttle of the test's own (the process's is shared by every test).
fn fresh() -> &'static Mutex<Throttle> {
    Box::leak(Box::new(Mutex::new(Throttle::new())))
}

const HERE: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

fn fail(throttle: &'static Mutex<Throttle>, account: &str, client: IpAddr) {
    Throttle::begin(throttle, account, client).unwrap().failed();
}

#[test]
fn a_pair_closes_after_five_failures_and_others_stay_open() {
    let throttle = fresh();
    let other = IpAddr::from([10, 9, 8, 7]);
    for _ in 0..FAILURES {
        fail(throttle, "me", HERE);
    }
    let attempt = |account, client| Throttle::begin(throttle, account, client).map(drop);
    assert_eq!(attempt("me", HERE), Err(AccountError::Throttled));
    assert_eq!(attempt("me", other), Ok(()), "another address");
    assert_eq!(attempt("someone-else", HERE), Ok(()), "another account");
}

#[test]
fn logins_in_flight_count_until_they_are_known() {
    let throttle = fresh();
    let waiting: Vec<_> = (0..FAILURES)
        .map(|_| Throttle::begin(throttle, "me", HERE).unwrap())
        .collect();
    assert!(
        Throttle::begin(throttle, "me", HERE).is_err(),
        "a sixth at once"
    );
    waiting.into_iter().for_each(Attempt::succeeded);
    assert!(Throttle::begin(throttle, "me", HERE).is_ok());
}

#[test]
fn an_account_closes_after_its_failures_from_any_number_of_addresses() {
    let throttle = fresh();
    for at in 0..ACCOUNT_FAILURES {
        fail(
            throttle,
            "victim",
            IpAddr::from([10, 0, (at / 250) as u8, (at % 250) as u8]),
        );
    }
    let fresh_address = IpAddr::from([192, 0, 2, 1]);
    assert!(Throttle::begin(throttle, "victim", fresh_address).is_err());
    assert!(Throttle::begin(throttle, "bystander", fresh_address).is_ok());
}

#[test]
fn a_flood_of_new_names_ages_out_old_entries_and_new_pairs_still_close() {
    let throttle = fresh();
    for at in 0..TRACKED + 1000 {
        fail(throttle, &format!("flood{at}"), HERE);
    }
    assert!(lock(throttle).pairs.entries.len() <= TRACKED);
    for _ in 0..FAILURES {
        fail(throttle, "after the flood", HERE);
    }
    assert!(Throttle::begin(throttle, "after the flood", HERE).is_err());
}

#[test]
fn an_account_is_kept_as_a_hash_whatever_its_length() {
    let throttle = fresh();
    let huge = "a".repeat(1 << 20);
    fail(throttle, &huge, HERE);
    assert!(std::mem::size_of::<Pair>() <= 32);
    assert_eq!(lock(throttle).pairs.entries.len(), 1);
}
