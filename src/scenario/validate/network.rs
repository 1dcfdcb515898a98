//! `[network]`: the default latency and loss, and the links between two hosts.

use indexmap::IndexMap;

use super::checker::{Checker, root};
use super::host::Host;
use crate::scenario::diagnostic::quote;
use crate::scenario::limits;
use crate::scenario::locate::DocPath;

impl Checker<'_, '_> {
    pub(super) fn check_network(&mut self) {
        let network = &self.scenario.network;
        let path = root("network");
        if let Some(latency) = &network.latency {
            self.distribution(&path.key("latency"), latency);
        }
        self.probability(&path.key("loss"), network.loss.get());
        self.count_limit(
            &path.key("link"),
            network.link.len(),
            limits::LINKS_MAX,
            "network links",
        );
        let mut pairs: IndexMap<(Host, Host), DocPath> = IndexMap::new();
        for (index, link) in network.link.iter().enumerate() {
            let link_path = path.key("link").index(index);
            let between_path = link_path.key("between");
            if link.between.len() == 2 {
                let first = self.link_end(&between_path.index(0), &link.between[0]);
                let second = self.link_end(&between_path.index(1), &link.between[1]);
                if let (Some(first), Some(second)) = (first, second) {
                    self.resolving.links[index] = Some([first, second]);
                    // Links apply both ways, so a pair is the same whichever end comes first.
                    let pair = (first.min(second), first.max(second));
                    if let Some(previous) = pairs.get(&pair) {
                        let line = self.line_of(previous);
                        let diagnostic = self.error(
                            &between_path,
                            format!(
                                "a second link between {} and {}",
                                quote(&link.between[0]),
                                quote(&link.between[1])
                            ),
                        );
                        if let Some(line) = line {
                            diagnostic
                                .set_hint(format!("the first is on line {line}; merge the two"));
                        }
                    } else {
                        pairs.insert(pair, between_path.clone());
                    }
                }
            } else {
                self.error(
                    &between_path,
                    format!(
                        "`between` of a link names exactly two services, not {}",
                        link.between.len()
                    ),
                )
                .set_hint("between = [\"order\", \"payment\"]");
            }
            if let Some(latency) = &link.latency {
                self.distribution(&link_path.key("latency"), latency);
            }
            if let Some(loss) = link.loss {
                self.probability(&link_path.key("loss"), loss.get());
            }
            if link.latency.is_none() && link.loss.is_none() {
                self.warning(
                    &link_path,
                    "this link changes nothing: it has neither `latency` nor `loss`",
                );
            }
        }
    }

    /// One end of a link: a service, or a workload's client host. Instances are not links' business.
    fn link_end(&mut self, path: &DocPath, text: &str) -> Option<Host> {
        if text.contains('/') {
            self.error(
                path,
                format!("a link joins services, not instances: {}", quote(text)),
            )
            .set_hint(format!(
                "write {}; a network fault can target one instance",
                quote(text.split('/').next().unwrap_or(text))
            ));
            return None;
        }
        self.host_ref(path, text)
    }
}
