//! The read-only queries over the lab: `lab()` and its views.

use super::SharedSession;
use rhai::Engine;

/// What `lab()` returns: a view of the lab that cannot change it.
#[derive(Clone)]
pub struct Lab {
    session: SharedSession,
}

pub fn register(engine: &mut Engine, session: &SharedSession) {
    let s = session.clone();
    engine
        .register_type_with_name::<Lab>("Lab")
        .register_fn("lab", move || Lab { session: s.clone() })
        .register_get("clock", |lab: &mut Lab| {
            lab.session.borrow().backend.now().as_secs_f64()
        });
}
