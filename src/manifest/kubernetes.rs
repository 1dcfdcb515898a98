//! Kubernetes `Service`, `Deployment`, `StatefulSet` and `HorizontalPodAutoscaler` (v1.31 API)
//! as meshsim's services, versions, replicas, readiness and CPU.
//!
//! - A Service (`v1`) is the name callers use; its `spec.selector` picks the Deployments behind
//!   it, as the endpoints controller picks pods: every selector label must be among the pod
//!   template's labels (<https://kubernetes.io/docs/concepts/services-networking/service/>).
//! - A Deployment's pod template `version` label is the version, as Istio subsets select by it
//!   (<https://istio.io/v1.24/docs/ops/deployment/application-requirements/>); `v1` or no label is
//!   the service's own version. Its `replicas` (1 when absent, the API's default) are the
//!   version's instances. A Deployment no Service selects is named by its `app` label, then its
//!   own name.
//! - The first container's `readinessProbe.initialDelaySeconds` is the start time: the kubelet
//!   probes first after that delay, and a pod is ready when a probe succeeds
//!   (<https://kubernetes.io/docs/concepts/configuration/liveness-readiness-startup-probes/>);
//!   meshsim takes the first probe to succeed.
//! - `resources.limits.cpu` (else `requests.cpu`), summed over the containers, is `cores`.
//!   meshsim has one figure where Kubernetes has two: the limit caps the work (CFS quota), the
//!   request is what the HPA's utilization is a share of. With both set and different, the
//!   limit is taken and a warning says so.

use indexmap::IndexMap;

use super::declared::{Declared, DeclaredService, Sourced};
use super::kind::Kind;
use super::manifests::Manifest;
use super::reader::{Field, Reader};
use crate::scenario::Real;
use crate::scenario::schema::Autoscale;

/// Instances of one version: meshsim builds each one, so a typo is bounded.
const REPLICAS_MAX: u32 = 1_000;

/// The Services, by name, with their selectors.
struct Selector<'a> {
    name: String,
    labels: Vec<(&'a str, &'a str)>,
}

/// Services, then the workloads behind them, then their autoscalers.
pub(crate) fn translate(manifests: &[Manifest], reader: &Reader, declared: &mut Declared) {
    let mut selectors = Vec::new();
    for manifest in manifests.iter().filter(|m| m.kind == Kind::Service) {
        let root = reader.field(manifest.file, &manifest.root);
        mark_identity(root);
        let selector = root.at("spec.selector");
        let labels = selector.map(labels_of).unwrap_or_default();
        selectors.push(Selector {
            name: manifest.name.clone(),
            labels,
        });
        declared
            .services
            .entry(manifest.name.clone())
            .or_insert_with(|| {
                DeclaredService::new(root.get("metadata").map_or(root.place(), Field::place))
            });
    }
    let mut workloads: IndexMap<String, String> = IndexMap::new();
    for manifest in manifests
        .iter()
        .filter(|m| matches!(m.kind, Kind::Deployment | Kind::StatefulSet))
    {
        let service = deployment(manifest, &selectors, reader, declared);
        workloads.insert(manifest.name.clone(), service);
    }
    for manifest in manifests
        .iter()
        .filter(|m| m.kind == Kind::HorizontalPodAutoscaler)
    {
        autoscaler(manifest, &workloads, reader, declared);
    }
}

/// `apiVersion`, `kind`, `metadata.name` and `metadata.namespace` say what a document is.
pub(crate) fn mark_identity(root: Field<'_>) {
    for path in ["apiVersion", "kind", "metadata.name", "metadata.namespace"] {
        if let Some(field) = root.at(path) {
            field.mark();
        }
    }
}

fn labels_of(map: Field<'_>) -> Vec<(&str, &str)> {
    map.entries()
        .into_iter()
        .filter_map(|(key, value)| Some((key, value.text()?)))
        .collect()
}

/// A Deployment or `StatefulSet`: the service it backs, by name, after recording its version.
fn deployment(
    manifest: &Manifest,
    selectors: &[Selector<'_>],
    reader: &Reader,
    declared: &mut Declared,
) -> String {
    let root = reader.field(manifest.file, &manifest.root);
    mark_identity(root);
    let template_labels = root
        .at("spec.template.metadata.labels")
        .map(labels_of)
        .unwrap_or_default();
    let label = |name: &str| {
        template_labels
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| *value)
    };
    let selected = selectors.iter().find(|selector| {
        !selector.labels.is_empty()
            && selector
                .labels
                .iter()
                .all(|wanted| template_labels.contains(wanted))
    });
    let service = selected.map_or_else(
        || label("app").unwrap_or(&manifest.name).to_owned(),
        |selector| selector.name.clone(),
    );
    // The selector of the Deployment itself is Kubernetes bookkeeping, checked by the API.
    if let Some(selector) = root.at("spec.selector") {
        selector.mark();
    }
    let version = label("version").unwrap_or("v1").to_owned();
    let replicas = root.at("spec.replicas").and_then(|field| {
        field
            .count(REPLICAS_MAX)
            .map(|n| Sourced::new(n, field.place()))
    });
    let named_at = root.at("metadata.name").map_or(root.place(), Field::place);
    let entry = declared
        .services
        .entry(service.clone())
        .or_insert_with(|| DeclaredService::new(named_at.clone()));
    if !entry.deployed {
        // A deployed service is pointed at by its first Deployment, not by its Service.
        entry.place = named_at;
    }
    entry.deployed = true;
    if version == "v1" {
        if let Some(replicas) = replicas {
            entry.replicas = Some(replicas);
        }
    } else {
        let place = root.at("metadata.name").map_or(root.place(), Field::place);
        let count = replicas.map_or(Sourced::new(1, place), |replicas| replicas);
        entry.versions.insert(version, count);
    }
    containers(root, reader, entry);
    service
}

/// What the containers say of readiness and CPU.
fn containers(root: Field<'_>, reader: &Reader, service: &mut DeclaredService) {
    let Some(containers) = root.at("spec.template.spec.containers") else {
        return;
    };
    let mut cores = 0.0;
    let mut cores_place = None;
    for container in containers.items() {
        if let Some(delay) = container.at("readinessProbe.initialDelaySeconds")
            && let Some(value) = delay.seconds()
        {
            match &service.start_time {
                None => service.start_time = Some(Sourced::new(value, delay.place())),
                Some(first) if first.value != value => reader.warning(
                    &delay.place(),
                    "meshsim gives every version of a service the start time of its first Deployment",
                    "the versions' readiness delays differ; the first one's is taken",
                ),
                Some(_) => {}
            }
        }
        let limit = container.at("resources.limits.cpu");
        let request = container.at("resources.requests.cpu");
        let chosen = limit.or(request);
        if let (Some(_), Some(request)) = (limit, request) {
            // A request equal to the limit says nothing more (Kubernetes' Guaranteed class).
            request.mark();
        }
        if let (Some(limit), Some(request)) = (limit, request)
            && limit.node.text() != request.node.text()
        {
            reader.warning(
                &request.place(),
                "meshsim takes the CPU limit as the cores an instance has; the request is not simulated apart from it",
                "meshsim's `cores` caps the work and is what the HPA's utilization is a share of",
            );
        }
        if let Some(field) = chosen
            && let Some(value) = cpu_quantity(field)
        {
            cores += value;
            cores_place.get_or_insert(field.place());
        }
    }
    if let Some(place) = cores_place
        && service.cores.is_none()
        && cores > 0.0
    {
        service.cores = Some(Sourced::new(Real(cores), place));
    }
}

/// A CPU quantity: `"500m"` is half a core, `"2"` two.
fn cpu_quantity(field: Field<'_>) -> Option<f64> {
    let text = field.text()?;
    let parsed = match text.strip_suffix('m') {
        Some(millis) => millis.parse::<f64>().ok().map(|millis| millis / 1000.0),
        None => text.parse::<f64>().ok(),
    };
    match parsed {
        Some(value) if value > 0.0 && value <= 1024.0 => Some(value),
        _ => {
            field_error(
                field,
                format!("`{text}` is not a CPU quantity meshsim can take"),
                "write cores (\"2\", \"0.5\") or millicores (\"500m\"), above 0",
            );
            None
        }
    }
}

fn field_error(field: Field<'_>, message: String, hint: &str) {
    field.reader().error(&field.place(), message, hint);
}

/// An `autoscaling/v2` HPA on a Deployment: meshsim's `autoscale` on the service, when its
/// metric is CPU utilization; anything else is listed as not simulated.
fn autoscaler(
    manifest: &Manifest,
    workloads: &IndexMap<String, String>,
    reader: &Reader,
    declared: &mut Declared,
) {
    let root = reader.field(manifest.file, &manifest.root);
    mark_identity(root);
    let Some(target) = root.at("spec.scaleTargetRef.name") else {
        return;
    };
    for key in ["spec.scaleTargetRef.kind", "spec.scaleTargetRef.apiVersion"] {
        if let Some(field) = root.at(key) {
            field.mark();
        }
    }
    let Some(name) = target.text() else { return };
    let Some(service) = workloads.get(name) else {
        reader.warning(
            &target.place(),
            format!("the autoscaler scales `{name}`, which no included Deployment is"),
            "the HPA does nothing until its target exists; include the Deployment",
        );
        return;
    };
    let min = root
        .at("spec.minReplicas")
        .and_then(|field| field.count(REPLICAS_MAX))
        .unwrap_or(1);
    let Some(max) = root
        .at("spec.maxReplicas")
        .and_then(|field| field.count(REPLICAS_MAX))
    else {
        return;
    };
    let Some(target) = cpu_target(root) else {
        return;
    };
    let autoscale = Autoscale {
        min_replicas: min,
        max_replicas: max,
        metric: "cpu".to_owned(),
        target: Real(f64::from(target)),
        behavior: crate::scenario::schema::Behavior::default(),
    };
    if let Some(entry) = declared.services.get_mut(service) {
        // The HPA moves a count outside its bounds into them at its first sync.
        if let Some(replicas) = &mut entry.replicas
            && !(min..=max).contains(&replicas.value)
        {
            let clamped = replicas.value.clamp(min, max);
            reader.warning(
                &replicas.place,
                format!("the autoscaler scales {} replicas to {clamped} at once; the run starts with {clamped}", replicas.value),
                "the HPA keeps the count between minReplicas and maxReplicas",
            );
            replicas.value = clamped;
        }
        entry.autoscale = Some(Sourced::new(autoscale, root.place()));
    }
}

/// The `averageUtilization` of the first CPU `Resource` metric.
fn cpu_target(root: Field<'_>) -> Option<u32> {
    let metrics = root.at("spec.metrics")?;
    for metric in metrics.items() {
        let is_cpu = metric.get("type").and_then(Field::text) == Some("Resource")
            && metric.at("resource.name").and_then(Field::text) == Some("cpu");
        if !is_cpu {
            continue;
        }
        if let Some(target_type) = metric.at("resource.target.type") {
            target_type.text();
        }
        return metric
            .at("resource.target.averageUtilization")
            .and_then(|field| field.count(1_000));
    }
    None
}
