//! A deterministic visitor generator over a fictional shop, for sample data, tests and
//! benchmarks. The same seed always gives the same sessions, byte for byte.
//!
//! Visitors follow personas (bouncers, browsers, comparers, cart abandoners, buyers and
//! frustrated visitors), move the cursor toward real targets along eased paths sampled every
//! 50 ms (like rrweb), pause to read, scroll less and less far down the page, click, fall into
//! the shop's traps now and then, and send micro-conversion custom events.
//! [`calibrate`] measures the figures the generated traffic is tuned to.
//!
//! Orchestration: may use every core layer (`model` … `store`), never `cli` or `ui`.

mod calibrate;
mod rng;
mod site;

pub use calibrate::{Calibration, ClickShare, RateRow, ReachRow, calibrate};
pub use rng::Rng;
pub use site::{PAGES_JSON, Page, SITE_ORIGIN, Target, page, pages};

use crate::model::{
    ClickKind, DeviceClass, ElementDescriptor, Event, EventKind, PagePos, PageView, PointerType,
    ScrollOffset, Session, SizePx, TrafficSource, ViewportPos,
};

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Number of sessions.
    pub sessions: usize,
    /// Seed; the same seed gives the same sessions.
    pub seed: u64,
    /// Sessions start within the `days` days before this epoch ms.
    pub end_ms: i64,
    /// Spread of start times, days.
    pub days: u32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            sessions: 100,
            seed: 1,
            // 2026-11-01 00:00 UTC: fixed so output does not depend on the clock.
            end_ms: 1_793_491_200_000,
            days: 30,
        }
    }
}

/// Visitor intent, which drives the path through the shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Persona {
    /// Leaves after the landing page.
    Bouncer,
    /// Looks at the category and one product.
    Browser,
    /// Goes back and forth between the category and two or three products.
    Comparer,
    /// Adds to cart, maybe starts the checkout, leaves.
    CartAbandoner,
    /// Buys.
    Buyer,
    /// Falls into the traps: rage and dead clicks, coupon errors, quick backs, thrashing,
    /// scrolling up and down; then leaves.
    Frustrated,
}

/// Generates all sessions.
#[must_use]
pub fn generate(options: &GenerateOptions) -> Vec<Session> {
    (0..options.sessions)
        .map(|i| generate_session(options, i))
        .collect()
}

/// A copy of `session` with `moves` pointer moves added at the end of its last page view, eight
/// per millisecond along one line: the same session in a file that is slow to parse, for the
/// tests of import order.
#[must_use]
pub fn with_pointer_tail(session: &Session, moves: usize) -> Session {
    let mut long = session.clone();
    let Some(last) = long.events.last().cloned() else {
        return long;
    };
    let end_ms = long.started_at_ms + long.duration_ms;
    let start_ms = last.timestamp_ms.min(end_ms);
    let moves = i64::try_from(moves).unwrap_or(i64::MAX);
    for k in 0..moves {
        long.events.push(Event {
            timestamp_ms: start_ms + k / 8,
            page: last.page,
            kind: EventKind::PointerMove {
                pos_in_page: PagePos {
                    x: (k % 800) as f32,
                    y: 300.0,
                },
                pointer: PointerType::Mouse,
            },
        });
    }
    long.duration_ms += moves / 8;
    if let Some(page) = long.pages.get_mut(last.page as usize) {
        page.left_at_ms = page.left_at_ms.max(end_ms + moves / 8);
    }
    long
}

/// Generates the `index`-th session (independent of the others, so it can be done in parallel).
#[must_use]
pub fn generate_session(options: &GenerateOptions, index: usize) -> Session {
    let mut rng = Rng::new(options.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let device = if rng.chance(0.6) {
        DeviceClass::Mobile
    } else {
        DeviceClass::Desktop
    };
    let (channel_source, medium, referrer) = match rng.below(100) {
        0..30 => (None, None, Some("https://www.google.com/")),
        30..50 => (Some("instagram"), Some("paid_social"), None),
        50..65 => (Some("google"), Some("cpc"), None),
        65..75 => (Some("newsletter"), Some("email"), None),
        _ => (None, None, None),
    };
    // Conversion differs by channel and device, as CRO reports find (email converts best,
    // paid social worst; mobile about half of desktop).
    let buy_weight: f32 = match medium {
        Some("email") => 2.0,
        Some("paid_social") => 0.6,
        _ => 1.0,
    } * if device == DeviceClass::Mobile {
        0.6
    } else {
        1.2
    };
    let roll = rng.unit();
    let buy = 0.045 * buy_weight;
    let abandon = buy + 0.12 * buy_weight.sqrt();
    let persona = if roll < buy {
        Persona::Buyer
    } else if roll < abandon {
        Persona::CartAbandoner
    } else if roll < abandon + 0.10 {
        Persona::Comparer
    } else if roll < abandon + 0.16 {
        Persona::Frustrated
    } else if roll < 0.58 {
        Persona::Browser
    } else {
        Persona::Bouncer
    };
    let viewport = match device {
        DeviceClass::Mobile => SizePx {
            width: 390,
            height: 844 - 100,
        },
        _ => SizePx {
            width: 1440,
            height: 900 - 80,
        },
    };
    let span_ms = i64::from(options.days.max(1)) * 86_400_000;
    let started_at_ms = options.end_ms - span_ms
        + i64::try_from(rng.below(u64::try_from(span_ms).unwrap_or(1))).unwrap_or(0);
    // Form behaviour (errors, refills, where abandoners stop) draws from its own stream, so the
    // rest of every visit stays what it was before forms were simulated.
    let form_rng = Rng::new(
        options.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x0F0F_5EED_F0F0_5EED,
    );
    let mut visit = Visit {
        rng,
        form_rng,
        form_fields_seen: Vec::new(),
        device,
        viewport,
        t: started_at_ms,
        session: Session {
            session_id: format!("sim-{:08x}-{index:06}", options.seed as u32),
            started_at_ms,
            device,
            user_agent: Some(
                match device {
                    DeviceClass::Mobile => "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
                    _ => "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
                }
                .to_owned(),
            ),
            source: TrafficSource {
                utm_source: channel_source.map(str::to_owned),
                utm_medium: medium.map(str::to_owned),
                utm_campaign: medium.map(|_| "autumn-sale".to_owned()),
                referrer: referrer.map(str::to_owned),
            },
            ..Session::default()
        },
        pointer: PagePos { x: viewport.width as f32 / 2.0, y: 300.0 },
        scroll_y: 0.0,
        persona,
        promo_clicked: false,
        max_scroll_y: 0.0,
    };
    visit.run(medium == Some("paid_social"));
    // The visit clock is past every event and every page entry (a last page may have no events).
    let end = visit.t + 500;
    let mut session = visit.session;
    if let Some(last) = session.pages.last_mut() {
        last.left_at_ms = end;
    }
    session.duration_ms = end - session.started_at_ms;
    session
}

struct Visit {
    rng: Rng,
    /// The stream for form behaviour (see `generate_session`).
    form_rng: Rng,
    /// (page, field target) pairs whose form fact was recorded.
    form_fields_seen: Vec<(u32, u32)>,
    device: DeviceClass,
    viewport: SizePx,
    t: i64,
    session: Session,
    pointer: PagePos,
    scroll_y: f32,
    persona: Persona,
    /// The promo bar was clicked already in this visit (once is enough to learn it is dead).
    promo_clicked: bool,
    /// The deepest scroll offset of the current page, CSS px (the browser clamps to it).
    max_scroll_y: f32,
}

const PRODUCTS: [&str; 3] = [
    "product-trail-runner",
    "product-summit-hiker",
    "product-alpine-shell",
];

impl Visit {
    fn layout_width(&self) -> u32 {
        if self.device == DeviceClass::Mobile {
            390
        } else {
            1440
        }
    }

    fn delay(&mut self, min_ms: u64, spread_ms: u64) {
        self.t += i64::try_from(min_ms + self.rng.below(spread_ms)).unwrap_or(0);
    }

    fn run(&mut self, lands_on_product: bool) {
        let product = PRODUCTS[self.rng.below(3) as usize];
        let mut route: Vec<&str> = if lands_on_product {
            vec![product]
        } else {
            vec!["home"]
        };
        // The index in `route` of a page left again within seconds (a quick back).
        let mut quick_back_at = None;
        match self.persona {
            Persona::Bouncer => {}
            Persona::Browser => {
                route.extend(["category-footwear", product]);
                if self.rng.chance(0.4) {
                    route.push("home");
                }
            }
            Persona::Comparer => {
                let others: Vec<&str> = PRODUCTS.into_iter().filter(|p| *p != product).collect();
                let count = if self.rng.chance(0.5) { 2 } else { 1 };
                route.extend(["category-footwear", product]);
                for other in others.into_iter().take(count) {
                    route.extend(["category-footwear", other]);
                }
                if self.rng.chance(0.15) {
                    route.push("cart");
                }
            }
            Persona::CartAbandoner => {
                route.extend(["category-footwear", product, "cart"]);
                if self.rng.chance(0.45) {
                    route.push("checkout");
                }
            }
            Persona::Buyer => route.extend([product, "cart", "checkout", "confirmation"]),
            Persona::Frustrated => {
                route.push(product);
                if self.rng.chance(0.45) {
                    // Opens the category by mistake and comes straight back.
                    quick_back_at = Some(route.len());
                    route.extend(["category-footwear", product]);
                }
                if self.rng.chance(0.4) {
                    route.push("cart");
                }
            }
        }
        route.dedup();
        for (step, key) in route.iter().enumerate() {
            let Some(page) = site::page(key, self.layout_width()) else {
                continue;
            };
            let next = route.get(step + 1).copied();
            if quick_back_at == Some(step) {
                self.glance(page);
            } else {
                self.visit_page(page, next);
            }
        }
    }

    /// Enters `page` and goes back at once with the browser's Back button (no click).
    fn glance(&mut self, page: &Page) {
        self.enter(page);
        self.delay(300, 900);
        self.wander(self.page_no(), 8);
        self.delay(400, 1200);
    }

    fn page_no(&self) -> u32 {
        u32::try_from(self.session.pages.len().saturating_sub(1)).unwrap_or(0)
    }

    /// Starts a page view of `page`.
    fn enter(&mut self, page: &Page) {
        if let Some(prev) = self.session.pages.last_mut() {
            prev.left_at_ms = self.t;
        }
        let doc_height = page.doc_height.ceil() as u32;
        self.session.pages.push(PageView {
            url: page.url.clone(),
            entered_at_ms: self.t,
            left_at_ms: self.t,
            doc_size: SizePx {
                width: self.viewport.width,
                height: doc_height,
            },
            viewport: self.viewport,
            screenshot: None,
            tab: 0,
        });
        self.scroll_y = 0.0;
        self.max_scroll_y = (page.doc_height - self.viewport.height as f32)
            .max(0.0)
            .floor();
        self.pointer.y = self.pointer.y.min(self.viewport.height as f32 - 10.0);
    }

    fn visit_page(&mut self, page: &Page, next: Option<&str>) {
        self.enter(page);
        let page_no = self.page_no();
        self.delay(300, 900);
        if page.key.starts_with("product-") {
            self.custom(page_no, "view_item", None);
        }
        // Read and scroll: the deeper the band, the fewer visitors reach it.
        let max_scroll = (page.doc_height - self.viewport.height as f32).max(0.0);
        let curiosity = if self.persona == Persona::Bouncer {
            2.5
        } else {
            1.1
        };
        let depth_goal = max_scroll * self.rng.unit().powf(curiosity);
        while self.scroll_y + 1.0 < depth_goal {
            let samples = 4 + self.rng.below(10) as usize;
            self.wander(page_no, samples);
            let step = (self.viewport.height as f32 * (0.35 + 0.5 * self.rng.unit()))
                .min(depth_goal - self.scroll_y);
            self.scroll_by(page_no, step);
            self.delay(500, 2500);
        }
        self.explore(page, page_no);
        self.stray_click(page, page_no);
        self.frictions(page, page_no);
        if self.persona == Persona::Frustrated {
            self.frustration(page, page_no, max_scroll);
        }
        if page.key == "home" && self.rng.chance(0.04) {
            self.newsletter(page, page_no);
        }
        let Some(next) = next else {
            if page.key == "checkout" && self.persona == Persona::CartAbandoner {
                // Starts on the form, then gives up (often when the shipping cost appears).
                let fields: Vec<&Target> = checkout_fields(page).collect();
                let stop = 1 + self.rng.below(5) as usize;
                for field in fields.iter().take(stop) {
                    self.fill_checkout_field(page, page_no, field);
                }
                // Some go on to the postcode, which often shows its error, and leave there.
                if self.form_rng.chance(0.45) {
                    self.with_form_rng(|v| {
                        for field in fields.iter().skip(stop) {
                            v.fill_checkout_field(page, page_no, field);
                            if field.selector == "#postcode" {
                                break;
                            }
                        }
                    });
                }
                self.delay(1500, 4000);
            }
            self.wander(page_no, 10);
            return;
        };
        match (page.key.as_str(), next) {
            (key, "cart") if key.starts_with("product-") => {
                let sizes: Vec<&Target> = page
                    .clickables
                    .iter()
                    .filter(|c| c.selector.starts_with("#size-eu"))
                    .collect();
                if let Some(size) = sizes.get(self.rng.below(sizes.len() as u64) as usize) {
                    self.click_target(page_no, size, false);
                    self.delay(600, 1500);
                }
                if let Some(add) = page.target("#add-to-cart") {
                    self.click_target(page_no, add, true);
                    self.custom(page_no, "add_to_cart", None);
                    self.delay(800, 1500);
                }
                if let Some(cart) = page.target("#cart-link") {
                    self.click_target(page_no, cart, true);
                }
            }
            ("cart", "checkout") => {
                if let Some(go) = page.target("#checkout-button") {
                    self.click_target(page_no, go, true);
                    self.custom(page_no, "begin_checkout", None);
                }
            }
            ("checkout", "confirmation") => {
                for field in checkout_fields(page) {
                    if self.fill_checkout_field(page, page_no, field) {
                        self.with_form_rng(|v| v.refill_postcode(page, page_no, field));
                    }
                    if field.selector == "#card_cvc" {
                        self.custom(page_no, "add_payment_info", None);
                    }
                }
                if let Some(place) = page.target("#place-order") {
                    self.click_target(page_no, place, true);
                    let form = self.checkout_form_index();
                    let control = self.target_index(place);
                    self.push(
                        page_no,
                        EventKind::FormSubmit {
                            form: Some(form),
                            control: Some(control),
                        },
                    );
                    let value = 59.0 + f64::from(u32::try_from(self.rng.below(240)).unwrap_or(0));
                    self.custom(page_no, "purchase", Some(value));
                }
            }
            _ => {
                let url = site::page(next, self.layout_width())
                    .map(|p| p.url.clone())
                    .unwrap_or_default();
                if let Some(link) = self.pick_link(page, &url) {
                    self.click_target(page_no, link, true);
                }
            }
        }
        self.delay(300, 700);
    }

    /// The shop's deliberate friction: some visitors hit it, frustrated ones mostly do.
    fn frictions(&mut self, page: &Page, page_no: u32) {
        let frustrated = self.persona == Persona::Frustrated;
        let (promo, image, coupon) = if frustrated {
            (0.35, 0.6, 0.8)
        } else {
            (0.03, 0.12, 0.2)
        };
        if let Some(promo_bar) = page.traps("dead_promo").next()
            && !self.promo_clicked
            && self.rng.chance(promo)
        {
            self.promo_clicked = true;
            // Clicks on a banner that looks like a link; some turn into a rage burst.
            let burst = if self.rng.chance(if frustrated { 0.8 } else { 0.4 }) {
                3 + self.rng.below(3)
            } else {
                1
            };
            self.click_target(page_no, promo_bar, false);
            for _ in 1..burst {
                self.t += 120 + i64::try_from(self.rng.below(200)).unwrap_or(0);
                self.repeat_click(page_no, promo_bar);
            }
        }
        if let Some(picture) = page.traps("no_zoom_image").next()
            && self.rng.chance(image)
        {
            // The product image does not zoom: one click, or a few when the visitor insists.
            self.click_target(page_no, picture, false);
            if frustrated && self.rng.chance(0.5) {
                for _ in 0..2 + self.rng.below(3) {
                    self.t += 150 + i64::try_from(self.rng.below(250)).unwrap_or(0);
                    self.repeat_click(page_no, picture);
                }
            }
            self.delay(700, 1200);
        }
        if let Some(coupon_button) = page.traps("coupon_error").next()
            && self.rng.chance(coupon)
        {
            if let Some(field) = page.target("#coupon-code") {
                self.click_target(page_no, field, false);
                self.delay(1500, 2000);
            }
            let tries = if frustrated { 2 + self.rng.below(2) } else { 1 };
            for _ in 0..tries {
                self.click_target(page_no, coupon_button, false);
                self.t += 15;
                self.push(
                    page_no,
                    EventKind::Error {
                        message:
                            "TypeError: Cannot read properties of undefined (reading 'discount')"
                                .to_owned(),
                    },
                );
                self.delay(1000, 1500);
            }
        }
    }

    /// One of the links to `url`, as visitors choose: big, prominent links more often than
    /// small ones, and links in view more often than ones to scroll back to.
    fn pick_link<'p>(&mut self, page: &'p Page, url: &'p str) -> Option<&'p Target> {
        let (top, bottom) = (self.scroll_y, self.scroll_y + self.viewport.height as f32);
        let weighted: Vec<(&Target, f32)> = page
            .links_to(url)
            .map(|link| {
                // Visitors scroll back up to the header or breadcrumbs rather than down to a
                // footer they have not seen.
                let place = if link.y + link.height > bottom {
                    0.02
                } else if link.y < top {
                    0.2
                } else {
                    1.0
                };
                let weight = (link.width * link.height).max(1.0).sqrt() * place;
                (link, weight)
            })
            .collect();
        let total: f32 = weighted.iter().map(|(_, w)| w).sum();
        let mut roll = self.rng.unit() * total;
        for (link, weight) in &weighted {
            if roll < *weight {
                return Some(link);
            }
            roll -= weight;
        }
        weighted.last().map(|(link, _)| *link)
    }

    /// Runs `f` with the form stream as the visit's random source.
    fn with_form_rng<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        std::mem::swap(&mut self.rng, &mut self.form_rng);
        let out = f(self);
        std::mem::swap(&mut self.rng, &mut self.form_rng);
        out
    }

    /// The checkout form (not a click target of pages.json).
    fn checkout_form_index(&mut self) -> u32 {
        let descriptor = ElementDescriptor {
            tag: "form".to_owned(),
            id: Some("checkout-form".to_owned()),
            classes: vec!["checkout-form".to_owned()],
            selector: "#checkout-form".to_owned(),
            ..ElementDescriptor::default()
        };
        let index = match self.session.targets.iter().position(|d| *d == descriptor) {
            Some(i) => i,
            None => {
                self.session.targets.push(descriptor);
                self.session.targets.len() - 1
            }
        };
        u32::try_from(index).unwrap_or(0)
    }

    /// Clicks into a checkout field and types, with the facts the rrweb reader records (the
    /// field's form on first use, focus, blur). A postcode fails the shop's format check for
    /// some visitors (more on mobile): the error appears as the field is left, and this
    /// returns true.
    fn fill_checkout_field(&mut self, page: &Page, page_no: u32, field: &Target) -> bool {
        self.click_target(page_no, field, false);
        let target = self.target_index(field);
        if !self.form_fields_seen.contains(&(page_no, target)) {
            self.form_fields_seen.push((page_no, target));
            let fields: Vec<&Target> = form_fields(page).collect();
            let position = fields
                .iter()
                .position(|f| f.selector == field.selector)
                .unwrap_or(fields.len());
            let form = self.checkout_form_index();
            self.push(
                page_no,
                EventKind::FormField {
                    field: target,
                    form,
                    position: u32::try_from(position).unwrap_or(0),
                    form_fields: u32::try_from(fields.len()).unwrap_or(0),
                },
            );
        }
        self.push(
            page_no,
            EventKind::Focus {
                target: Some(target),
            },
        );
        self.type_into(page_no, field);
        self.push(
            page_no,
            EventKind::Blur {
                target: Some(target),
            },
        );
        let error_rate = if self.device == DeviceClass::Mobile {
            0.4
        } else {
            0.22
        };
        if field.selector == "#postcode" && self.form_rng.chance(error_rate) {
            self.t += 30;
            self.push(page_no, EventKind::DomChange);
            self.push(
                page_no,
                EventKind::FieldError {
                    field: Some(target),
                },
            );
            return true;
        }
        false
    }

    /// Back into the postcode after its error: select all, delete, type it again (a refill);
    /// the error goes away as the value fits.
    fn refill_postcode(&mut self, _page: &Page, page_no: u32, field: &Target) {
        self.delay(800, 2500);
        self.click_target(page_no, field, false);
        let target = Some(self.target_index(field));
        self.push(page_no, EventKind::Focus { target });
        self.delay(300, 700);
        let input = |value_len| EventKind::Input {
            target,
            value_len,
            value: None,
            checked: None,
        };
        self.push(page_no, input(0));
        for len in 1..=5 {
            self.delay(150, 250);
            self.push(page_no, input(len));
        }
        self.t += 20;
        self.push(page_no, EventKind::DomChange);
        self.push(page_no, EventKind::FieldErrorCleared { field: target });
        self.delay(300, 800);
        self.push(page_no, EventKind::Blur { target });
    }

    /// Types into a text field: input events as the value grows, a few characters at a time,
    /// like rrweb's (masked: only the length is kept).
    fn type_into(&mut self, page_no: u32, field: &Target) {
        let target = Some(self.target_index(field));
        let length = 4 + self.rng.below(18) as u32;
        let mut typed = 0;
        while typed < length {
            typed = (typed + 1 + self.rng.below(4) as u32).min(length);
            self.delay(250, 500);
            self.push(
                page_no,
                EventKind::Input {
                    target,
                    value_len: typed,
                    value: None,
                    checked: None,
                },
            );
        }
        self.delay(400, 1200);
    }

    /// Clicks that change the page without leaving it: gallery thumbnails, colour swatches,
    /// "helpful" votes on reviews, quick-add buttons on product cards.
    fn explore(&mut self, page: &Page, page_no: u32) {
        if self.persona == Persona::Bouncer {
            return;
        }
        // Only what the visitor has scrolled past.
        let reached = self.scroll_y + self.viewport.height as f32;
        let candidates: Vec<&Target> = page
            .clickables
            .iter()
            .filter(|c| {
                c.kind == "button"
                    && c.trap.is_none()
                    && c.href.is_none()
                    && (c.selector.starts_with("#thumb")
                        || c.selector.starts_with("#swatch")
                        || c.selector.starts_with("#helpful")
                        || c.selector.starts_with("#products >"))
                    && c.y + c.height < reached
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        // Product pages invite it (gallery, colours, reviews); elsewhere it is rarer.
        let clicks = if page.key.starts_with("product-") && self.rng.chance(0.6) {
            1 + self.rng.below(3)
        } else {
            u64::from(self.rng.chance(0.12))
        };
        for _ in 0..clicks {
            let pick = self.rng.below(candidates.len() as u64) as usize;
            if let Some(target) = candidates.get(pick) {
                self.click_target(page_no, target, true);
                self.delay(600, 1500);
            }
        }
    }

    /// A click on something that is not interactive (text being read, an empty margin), as real
    /// visitors make now and then.
    fn stray_click(&mut self, page: &Page, page_no: u32) {
        let chance = if self.device == DeviceClass::Mobile {
            0.05
        } else {
            0.1
        };
        if !self.rng.chance(chance) {
            return;
        }
        let (width, height) = (self.viewport.width as f32, self.viewport.height as f32);
        for _ in 0..8 {
            let aim = PagePos {
                x: (width * (0.1 + 0.8 * self.rng.unit())).round(),
                y: (self.scroll_y + height * (0.15 + 0.7 * self.rng.unit())).round(),
            };
            if page.clickables.iter().all(|c| !c.contains(aim)) {
                self.move_to(page_no, aim, 40.0);
                self.emit_click(page_no, None, aim, false);
                self.delay(400, 900);
                return;
            }
        }
    }

    /// What frustrated visitors do besides the traps: thrash the cursor (desktop) and scroll up
    /// and down looking for something.
    fn frustration(&mut self, page: &Page, page_no: u32, max_scroll: f32) {
        if self.device != DeviceClass::Mobile && self.rng.chance(0.35) {
            let base = self.pointer;
            let amplitude = 120.0 + 130.0 * self.rng.unit();
            for i in 0..10 + self.rng.below(6) {
                self.t += 50;
                let side = if i % 2 == 0 { 1.0 } else { -1.0 };
                self.pointer = PagePos {
                    x: (base.x + side * amplitude * (0.7 + 0.3 * self.rng.unit()))
                        .clamp(5.0, self.viewport.width as f32 - 5.0),
                    y: base.y + self.rng.normal() * 15.0,
                };
                self.push(
                    page_no,
                    EventKind::PointerMove {
                        pos_in_page: self.pointer,
                        pointer: PointerType::Mouse,
                    },
                );
            }
            self.delay(500, 1000);
        }
        if max_scroll > 1500.0 && page.key.starts_with("product-") && self.rng.chance(0.3) {
            // Up and down the page, hunting for the size chart or the shipping cost.
            for leg in 0..5 + self.rng.below(3) {
                let dy = if leg % 2 == 0 { 700.0 } else { -650.0 } * (0.8 + 0.4 * self.rng.unit());
                let dy = (self.scroll_y + dy).clamp(0.0, max_scroll) - self.scroll_y;
                self.scroll_by(page_no, dy);
                self.delay(250, 500);
            }
        }
    }

    fn newsletter(&mut self, page: &Page, page_no: u32) {
        if let (Some(field), Some(button)) = (
            page.target("#newsletter-email"),
            page.target("#newsletter-submit"),
        ) {
            self.click_target(page_no, field, false);
            self.delay(2000, 3000);
            self.click_target(page_no, button, true);
            self.custom(page_no, "newsletter_signup", None);
        }
    }

    fn push(&mut self, page: u32, mut kind: EventKind) {
        // Browsers report mouse and touch positions in whole CSS pixels (as every position in
        // the real rrweb recordings is), so the simulator does too.
        match &mut kind {
            EventKind::PointerMove { pos_in_page, .. } => {
                *pos_in_page = PagePos {
                    x: pos_in_page.x.round(),
                    y: pos_in_page.y.round(),
                }
            }
            EventKind::Click {
                pos_in_page,
                pos_in_viewport,
                ..
            } => {
                *pos_in_page = PagePos {
                    x: pos_in_page.x.round(),
                    y: pos_in_page.y.round(),
                };
                *pos_in_viewport = ViewportPos {
                    x: pos_in_viewport.x.round(),
                    y: pos_in_viewport.y.round(),
                };
            }
            _ => {}
        }
        self.session.events.push(Event {
            timestamp_ms: self.t,
            page,
            kind,
        });
    }

    fn custom(&mut self, page: u32, name: &str, value: Option<f64>) {
        self.push(
            page,
            EventKind::Custom {
                name: name.to_owned(),
                value,
                currency: value.map(|_| "EUR".to_owned()),
            },
        );
    }

    fn scroll_by(&mut self, page: u32, dy: f32) {
        let target = (self.scroll_y + dy).clamp(0.0, self.max_scroll_y).round();
        let steps = 3 + self.rng.below(4);
        let start = self.scroll_y;
        for i in 1..=steps {
            self.t += 100;
            let y = (start + (target - start) * i as f32 / steps as f32).round();
            self.push(
                page,
                EventKind::Scroll {
                    offset: ScrollOffset { x: 0.0, y },
                },
            );
        }
        self.pointer.y += target - start;
        self.scroll_y = target;
    }

    /// Small idle cursor movements near the current position (desktop only).
    fn wander(&mut self, page: u32, samples: usize) {
        if self.device == DeviceClass::Mobile {
            self.t += 50 * samples as i64;
            return;
        }
        for _ in 0..samples {
            self.t += 50;
            let min_y = self.scroll_y + 5.0;
            let max_y = (self.scroll_y + self.viewport.height as f32 - 5.0).max(min_y);
            self.pointer.x = (self.pointer.x + self.rng.normal() * 30.0)
                .clamp(5.0, self.viewport.width as f32 - 5.0);
            self.pointer.y = (self.pointer.y + self.rng.normal() * 18.0).clamp(min_y, max_y);
            self.push(
                page,
                EventKind::PointerMove {
                    pos_in_page: self.pointer,
                    pointer: PointerType::Mouse,
                },
            );
        }
    }

    fn click_target(&mut self, page: u32, target: &Target, reacts: bool) {
        // Aim at a point inside the box, biased to its centre.
        let aim = PagePos {
            x: target.x + target.width * (0.5 + 0.16 * self.rng.normal()).clamp(0.05, 0.95),
            y: target.y + target.height * (0.5 + 0.14 * self.rng.normal()).clamp(0.1, 0.9),
        };
        // Bring the target into view.
        let view_h = self.viewport.height as f32;
        if aim.y < self.scroll_y + 30.0 || aim.y > self.scroll_y + view_h - 30.0 {
            let dy = aim.y - self.scroll_y - view_h * 0.45;
            self.scroll_by(page, dy);
            self.delay(300, 600);
        }
        self.move_to(page, aim, target.width);
        self.emit_click(page, Some(target), aim, reacts);
    }

    /// Moves the cursor to `aim` (desktop; touch has no cursor), toward a target `width` px
    /// wide, then waits the short moment before a click.
    fn move_to(&mut self, page: u32, aim: PagePos, width: f32) {
        if self.device != DeviceClass::Mobile {
            // Fitts-like movement: duration grows with log2(distance / width + 1), eased out,
            // with a small overshoot corrected on the last sample.
            let dx = aim.x - self.pointer.x;
            let dy = aim.y - self.pointer.y;
            let distance = (dx * dx + dy * dy).sqrt();
            let duration_ms = 200.0 + 140.0 * (distance / width.max(8.0) + 1.0).log2();
            let samples = (duration_ms / 50.0).ceil().max(2.0) as usize;
            let start = self.pointer;
            let overshoot = 1.0 + 0.07 * self.rng.unit();
            let wobble = self.rng.normal() * 0.08;
            for i in 1..=samples {
                let s = i as f32 / samples as f32;
                let eased = (1.0 - (1.0 - s).powi(3)) * if i < samples { overshoot } else { 1.0 };
                let arc = (s * std::f32::consts::PI).sin() * wobble * distance;
                self.t += 50;
                self.pointer = PagePos {
                    x: start.x + dx * eased - dy / distance.max(1.0) * arc,
                    y: start.y + dy * eased + dx / distance.max(1.0) * arc,
                };
                self.push(
                    page,
                    EventKind::PointerMove {
                        pos_in_page: self.pointer,
                        pointer: PointerType::Mouse,
                    },
                );
            }
        }
        self.pointer = aim;
        self.delay(60, 200);
    }

    /// Another click at almost the same spot (rage bursts).
    fn repeat_click(&mut self, page: u32, target: &Target) {
        let aim = PagePos {
            x: self.pointer.x + self.rng.normal() * 3.0,
            y: self.pointer.y + self.rng.normal() * 3.0,
        };
        self.emit_click(page, Some(target), aim, false);
    }

    fn emit_click(&mut self, page: u32, target: Option<&Target>, aim: PagePos, reacts: bool) {
        let mobile = self.device == DeviceClass::Mobile;
        let target_index = target.map(|t| self.target_index(t));
        let pointer = if mobile {
            PointerType::Touch
        } else {
            PointerType::Mouse
        };
        let pos_in_viewport = ViewportPos {
            x: aim.x,
            y: aim.y - self.scroll_y,
        };
        let click = |kind| EventKind::Click {
            pos_in_page: aim,
            pos_in_viewport,
            kind,
            pointer,
            target: target_index,
        };
        if mobile {
            self.push(page, click(ClickKind::TouchStart));
            self.delay(50, 70);
            self.push(page, click(ClickKind::TouchEnd));
        }
        self.push(page, click(ClickKind::Click));
        if reacts || target.is_some_and(|t| matches!(t.tag.as_str(), "input" | "select")) {
            self.t += 16;
            self.push(page, EventKind::DomChange);
        }
    }

    fn target_index(&mut self, target: &Target) -> u32 {
        let descriptor = target.descriptor();
        let index = match self.session.targets.iter().position(|d| *d == descriptor) {
            Some(i) => i,
            None => {
                self.session.targets.push(descriptor);
                self.session.targets.len() - 1
            }
        };
        u32::try_from(index).unwrap_or(0)
    }
}

/// Every field of the checkout form (inputs and selects but the header's search), in page
/// order: the reader's numbering of the form's fields.
fn form_fields(page: &Page) -> impl Iterator<Item = &Target> {
    page.clickables
        .iter()
        .filter(|c| matches!(c.tag.as_str(), "input" | "select") && c.selector != "#site-search")
}

/// The checkout form's fields, in page order.
fn checkout_fields(page: &Page) -> impl Iterator<Item = &Target> {
    page.clickables.iter().filter(|c| {
        c.tag == "input"
            && c.selector.starts_with('#')
            && c.selector != "#site-search"
            && c.selector != "#ship-express"
    })
}

impl Target {
    fn descriptor(&self) -> ElementDescriptor {
        let id = self
            .selector
            .strip_prefix('#')
            .filter(|s| !s.contains([' ', '>', '.', ':']))
            .map(str::to_owned);
        ElementDescriptor {
            tag: self.tag.clone(),
            name: if self.tag == "input" {
                id.clone()
            } else {
                None
            },
            id,
            text: self.text.as_ref().map(|t| t.chars().take(80).collect()),
            selector: self.selector.clone(),
            href: self.href.clone(),
            role: (self.kind == "button").then(|| "button".to_owned()),
            ..ElementDescriptor::default()
        }
    }
}

/// One long session for benchmarks: generated visits joined end to end until it holds at least
/// `min_events` events, then its timeline rescaled to `duration_ms` (page views, events and
/// targets renumbered so the result is a valid session).
#[must_use]
pub fn long_session(seed: u64, min_events: usize, duration_ms: i64) -> Session {
    let options = GenerateOptions {
        sessions: 1,
        seed,
        ..GenerateOptions::default()
    };
    let mut session = generate_session(&options, 0);
    let mut index = 1;
    while session.events.len() < min_events {
        let mut more = generate_session(&options, index);
        index += 1;
        let shift = session.ended_at_ms() - more.started_at_ms + 1000;
        let page_shift = u32::try_from(session.pages.len()).unwrap_or(u32::MAX);
        let target_shift = u32::try_from(session.targets.len()).unwrap_or(u32::MAX);
        for page in &mut more.pages {
            page.entered_at_ms += shift;
            page.left_at_ms += shift;
        }
        for event in &mut more.events {
            event.timestamp_ms += shift;
            event.page = event.page.saturating_add(page_shift);
            match &mut event.kind {
                EventKind::Click { target, .. }
                | EventKind::Input { target, .. }
                | EventKind::Focus { target }
                | EventKind::Blur { target }
                | EventKind::ElementScroll { target, .. } => {
                    if let Some(t) = target {
                        *t = t.saturating_add(target_shift);
                    }
                }
                _ => {}
            }
        }
        session.duration_ms = more.ended_at_ms() - session.started_at_ms;
        session.pages.extend(more.pages);
        session.targets.extend(more.targets);
        session.events.extend(more.events);
    }
    let start = session.started_at_ms;
    let scale = duration_ms as f64 / session.duration_ms.max(1) as f64;
    let rescale = |t: i64| start + ((t - start) as f64 * scale).round() as i64;
    for page in &mut session.pages {
        page.entered_at_ms = rescale(page.entered_at_ms);
        page.left_at_ms = rescale(page.left_at_ms);
    }
    for event in &mut session.events {
        event.timestamp_ms = rescale(event.timestamp_ms);
    }
    session.duration_ms = duration_ms;
    session
}

/// Attaches the demo shop's page screenshots from `assets_dir` (the repository's `assets/`
/// folder) to `library`, origin `sample`. Returns how many were attached.
pub fn attach_screenshots(
    library: &mut dyn crate::store::Store,
    assets_dir: &std::path::Path,
) -> Result<usize, crate::store::StoreError> {
    let mut attached = 0;
    for page in pages() {
        let path = assets_dir.join("demo-shop").join(&page.screenshot);
        let png = std::fs::read(&path).map_err(|error| crate::store::StoreError::Io {
            path: path.display().to_string(),
            error,
        })?;
        library.add_screenshot(&page.url, page.layout_width, png, "sample")?;
        attached += 1;
    }
    Ok(attached)
}

/// How many simulated sessions the sample library gets on first start.
pub const SAMPLE_LIBRARY_SESSIONS: usize = 2000;

/// Generates `options.sessions` sessions straight into `library` (no files), in batches of one
/// transaction each, with their signals, as an import would. `on_progress(done, total)` is
/// called after each batch; setting `cancel` stops after the batch in progress. Sessions the
/// library already holds are skipped. Returns how many were added.
pub fn fill_library(
    library: &mut dyn crate::store::Store,
    options: &GenerateOptions,
    cancel: &std::sync::atomic::AtomicBool,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<usize, crate::store::StoreError> {
    const BATCH: usize = 100;
    let mut added = 0;
    let mut start = 0;
    while start < options.sessions {
        if cancel.load(std::sync::atomic::Ordering::Relaxed) {
            break;
        }
        let end = (start + BATCH).min(options.sessions);
        let loaded = crate::format::Loaded {
            sessions: (start..end)
                .map(|index| generate_session(options, index))
                .collect(),
            ..crate::format::Loaded::default()
        };
        let label = format!("simulated sessions {start}..{end} (seed {})", options.seed);
        added += library.insert_loaded(&label, &loaded)?.session_ids.len();
        start = end;
        on_progress(start, options.sessions);
    }
    library.fold_recent_points()?;
    Ok(added)
}

/// Midnight UTC at or before `epoch_ms`: simulated traffic ending "today" stays the same
/// all day.
#[must_use]
pub fn start_of_day_ms(epoch_ms: i64) -> i64 {
    epoch_ms - epoch_ms.rem_euclid(86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Limits;

    #[test]
    fn fill_library_adds_each_session_once() {
        let mut library = crate::store::Library::open_in_memory().unwrap();
        let options = GenerateOptions {
            sessions: 150,
            seed: 4,
            ..GenerateOptions::default()
        };
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let mut seen = Vec::new();
        let added = fill_library(&mut library, &options, &cancel, &mut |done, total| {
            seen.push((done, total));
        })
        .unwrap();
        assert_eq!(added, 150);
        assert_eq!(seen, vec![(100, 150), (150, 150)]);
        assert_eq!(library.num_sessions().unwrap(), 150);
        let again = fill_library(&mut library, &options, &cancel, &mut |_, _| {}).unwrap();
        assert_eq!(again, 0);
        assert_eq!(
            library
                .load_session(&generate_session(&options, 7).session_id)
                .unwrap(),
            generate_session(&options, 7)
        );
    }

    #[test]
    fn same_seed_same_sessions() {
        let options = GenerateOptions {
            sessions: 50,
            seed: 7,
            ..GenerateOptions::default()
        };
        assert_eq!(generate(&options), generate(&options));
        let other = GenerateOptions { seed: 8, ..options };
        assert_ne!(generate(&options), generate(&other));
    }

    #[test]
    fn sessions_whose_last_page_has_no_events_are_valid() {
        // Seed 8 index 9270 once ended before its last page began.
        let options = GenerateOptions {
            sessions: 1,
            seed: 8,
            ..GenerateOptions::default()
        };
        for index in [9270, 9600, 20925] {
            generate_session(&options, index)
                .validate(&Limits::default())
                .unwrap();
        }
    }

    #[test]
    fn checkouts_carry_form_facts_with_postcode_errors_refills_and_abandonment() {
        use crate::analysis::forms::{forms, session_forms};
        let sessions = generate(&GenerateOptions {
            sessions: 3000,
            seed: 5,
            ..GenerateOptions::default()
        });
        let facts: Vec<_> = sessions.iter().map(|s| session_forms(s, None)).collect();
        let report = forms(&facts);
        let form = report
            .forms
            .iter()
            .find(|t| t.form == "#checkout-form")
            .expect("the checkout form");
        assert_eq!(form.page, "/checkout.html");
        let buyers = sessions.iter().filter(|s| s.converted()).count() as u64;
        assert_eq!(form.submitted, buyers, "every buyer submits once");
        assert!(form.started > form.submitted && form.abandoned > 0);
        let row = |key: &str| form.fields.iter().find(|r| r.key == key).expect(key);
        let postcode = row("postcode");
        assert!(postcode.error_sessions > 0 && postcode.refills > 0);
        // Only the postcode errors, and buyers always fix it: refills match their errors.
        assert_eq!(
            form.fields.iter().map(|r| r.errors).sum::<u64>(),
            postcode.errors
        );
        assert!(
            postcode.abandoned_here > 0,
            "abandoners leave at the postcode"
        );
        // Fields come in the form's order and reach only falls along it.
        assert_eq!(form.fields[0].key, "email");
        assert!(form.fields.windows(2).all(|w| w[0].reached >= w[1].reached));
        // Mobile visitors see the error more often.
        let share = |label: &str| {
            let g = form
                .segments
                .iter()
                .find(|g| g.dimension == "device" && g.label == label)
                .expect(label);
            let i = form
                .fields
                .iter()
                .position(|r| r.key == "postcode")
                .unwrap_or(0);
            let cell = g.fields[i];
            cell.error_sessions as f64 / cell.interacted.max(1) as f64
        };
        assert!(share("mobile") > share("desktop"));
    }

    #[test]
    fn generated_sessions_are_valid_and_plausible() {
        let sessions = generate(&GenerateOptions {
            sessions: 4000,
            seed: 3,
            ..GenerateOptions::default()
        });
        for s in &sessions {
            s.validate(&Limits::default()).unwrap();
        }
        let converted =
            sessions.iter().filter(|s| s.converted()).count() as f64 / sessions.len() as f64;
        assert!(
            (0.01..0.08).contains(&converted),
            "conversion rate {converted}"
        );
        let mobile = sessions
            .iter()
            .filter(|s| s.device == DeviceClass::Mobile)
            .count() as f64
            / sessions.len() as f64;
        assert!((0.5..0.7).contains(&mobile), "mobile share {mobile}");
        let events: usize = sessions.iter().map(|s| s.events.len()).sum();
        assert!(events / sessions.len() > 30, "{events}");
    }
}
