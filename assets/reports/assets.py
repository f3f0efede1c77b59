"""Report assets (group ``reports``): HTML with embedded PNG, CSV and JSON in reports/."""

import json

import dagster as dg

from assets.reports.catalog_report import render_html
from resources.object_store import ObjectStore
from resources.spark import SparkResource
from resources.warehouse import Warehouse


@dg.asset(deps=["network_summary", "fraud_networks", "label_reuse"], group_name="reports",
          kinds={"html", "s3"}, owners=["team:trust-and-safety"])
def catalog_fraud_report(context: dg.AssetExecutionContext, spark: SparkResource, warehouse: Warehouse,
                         object_store: ObjectStore):
    """The catalog-fraud report for reviewers: every fake-label network with its size,
    similarity and shared titles, and the exempt-genre labels to review by hand."""
    session = spark.get_session()
    summary = warehouse.read(session, "network_summary").toPandas()
    networks = warehouse.read(session, "fraud_networks").toPandas().sort_values(["network_id", "label_id"])
    exempt = warehouse.read(session, "exempt_would_flag").toPandas()
    reuse = warehouse.read(session, "label_reuse")
    figures = {"labels": reuse.count(), "flagged_labels": reuse.where("flagged").count(),
               "networks": len(summary), "labels_in_networks": len(networks),
               "exempt_labels_to_review": len(exempt)}
    for col in summary.columns:  # arrays (top titles) as text for CSV/HTML
        if summary[col].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
            summary[col] = summary[col].map(lambda v: ", ".join(map(str, v)))
    object_store.put_bytes("reports/catalog/index.html", render_html(summary, networks, exempt, figures).encode())
    object_store.put_bytes("reports/catalog/network_summary.csv", summary.to_csv(index=False).encode())
    object_store.put_bytes("reports/catalog/fraud_networks.csv", networks.to_csv(index=False).encode())
    object_store.put_bytes("reports/catalog/summary.json", json.dumps(figures, indent=2).encode())
    where = object_store.describe()
    context.log.info(f"report written to {where}/reports/catalog/index.html")
    return dg.MaterializeResult(metadata={
        **{k: int(v) for k, v in figures.items()},
        "report": dg.MetadataValue.path(f"{where}/reports/catalog/index.html"),
        "preview": dg.MetadataValue.md(summary.head(10).astype(str).to_markdown(index=False) if len(summary) else "_none_"),
    })
