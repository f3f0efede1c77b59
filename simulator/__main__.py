"""Command line: ``python -m simulator serve | catalog | truth | users-dump`` (see ``--help`` of each)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def _share(text: str) -> float:
    v = float(text)
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError(f"must be a share in [0, 1], got {text}")
    return v


def _nonneg(text: str) -> float:
    v = float(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return v


def _positive_int(text: str) -> int:
    v = int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return v


def _port(text: str) -> int:
    v = int(text)
    if not 0 <= v <= 65535:
        raise argparse.ArgumentTypeError(f"port must be in 0..65535, got {text}")
    return v


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m simulator", description="Stand-in for the upstream music platform.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="serve the api-v2 subset over HTTP",
                       description="Serve the api-v2 subset. Prints 'SIMULATOR READY http://HOST:PORT' when listening.")
    s.add_argument("--seed", type=int, default=1, help="population seed (default 1)")
    s.add_argument("--users", type=_positive_int, required=True, help="ids 1..N exist (dead ones are 404); ids above N are unknown (404)")
    s.add_argument("--port", type=_port, default=0, help="TCP port; 0 picks a free one (default 0)")
    s.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    s.add_argument("--latency-ms", type=_nonneg, default=0.0, help="mean added latency per request in ms (default 0)")
    s.add_argument("--latency-jitter-ms", type=_nonneg, default=0.0, help="standard deviation of the added latency in ms (default 0)")
    s.add_argument("--rate-429", type=_share, default=0.0, help="share of requests answered 429 (half with Retry-After; JSON or 'Please slow down.' bodies alternate)")
    s.add_argument("--rate-limit-rps", type=_nonneg, default=0.0, help="server-side token bucket in requests/s; over it, 429 with Retry-After (0 = off)")
    s.add_argument("--rate-5xx", type=_share, default=0.0, help="share of requests answered 500/502/503/504")
    s.add_argument("--drop-rate", type=_share, default=0.0, help="share of requests whose connection is closed without a response")
    s.add_argument("--slow-rate", type=_share, default=0.0, help="share of requests delayed by --slow-seconds before answering")
    s.add_argument("--slow-seconds", type=_nonneg, default=5.0, help="delay of a slow response in seconds (default 5)")
    s.add_argument("--malformed-rate", type=_share, default=0.0, help="share of 200 responses whose body is invalid JSON")
    s.add_argument("--truncated-rate", type=_share, default=0.0, help="share of 200 responses whose JSON body is cut short")

    c = sub.add_parser("catalog", help="write daily distributor catalog drops to the landing zone",
                       description="Write landing/catalog/date=YYYY-MM-DD/part-NNNNN.(parquet|csv) with planted fraud.")
    c.add_argument("--seed", type=int, default=2, help="catalog seed (default 2)")
    c.add_argument("--days", type=_positive_int, required=True, help="number of upload days")
    c.add_argument("--tracks-per-day", type=_positive_int, required=True, help="rows per day (approximate; days x tracks-per-day must be >= 4000)")
    c.add_argument("--start-date", type=_date, default=dt.date(2024, 1, 1), help="first upload day YYYY-MM-DD (default 2024-01-01)")
    c.add_argument("--out", required=True, help="local directory (object-store root) or s3://bucket/prefix (endpoint from OFFBEAT_S3_ENDPOINT_URL)")
    c.add_argument("--format", choices=("parquet", "csv", "mixed"), default="mixed", help="file format; mixed alternates per day (default mixed)")
    c.add_argument("--bad-row-rate", type=_share, default=0.01, help="share of bad rows (default 0.01)")

    t = sub.add_parser("truth", help="write the planted ground truth",
                       description="Ground truth for the same seed and size: user classes, bots, mavens, fraud labels, networks, bad rows.")
    t.add_argument("--seed", type=int, default=None, help="seed for both parts unless --user-seed / --catalog-seed are given")
    t.add_argument("--user-seed", type=int, default=None, help="population seed (default --seed or 1)")
    t.add_argument("--users", type=_positive_int, default=10_000, help="population size N (default 10000)")
    t.add_argument("--first-id", type=_positive_int, default=1, help="first user id of the class table (default 1)")
    t.add_argument("--last-id", type=_positive_int, default=None, help="last user id of the class table (default N)")
    t.add_argument("--catalog-seed", type=int, default=None, help="catalog seed (default --seed or 2)")
    t.add_argument("--days", type=_positive_int, default=None, help="catalog days (omit to skip the catalog truth)")
    t.add_argument("--tracks-per-day", type=_positive_int, default=None, help="catalog rows per day")
    t.add_argument("--start-date", type=_date, default=dt.date(2024, 1, 1), help="first upload day (default 2024-01-01)")
    t.add_argument("--bad-row-rate", type=_share, default=0.01, help="share of bad rows (default 0.01)")
    t.add_argument("--out", required=True, help="FILE.json, or FILE.parquet (then one FILE.<table>.parquet per table)")

    d = sub.add_parser("users-dump", help="write an imported-users dump (JSON Lines of api-v2 users) and its truth",
                       description="Write a platform's own user population as JSON Lines (one api-v2 user per line, "
                                   "web_profiles inside), shaped unlike the crawled simulator (default: 3,000 users, "
                                   "half spam, no superstars), plus its truth (id, class, four_class, is_spam, hard_case).")
    d.add_argument("--seed", type=int, default=5, help="dump seed (default 5)")
    d.add_argument("--users", type=_positive_int, default=3000, help="number of users (default 3000)")
    d.add_argument("--spam-share", type=_share, default=0.5, help="share of spam accounts (default 0.5)")
    d.add_argument("--out", required=True, help="FILE.jsonl or FILE.jsonl.gz (e.g. <store>/landing/user_dumps/x.jsonl.gz)")
    d.add_argument("--truth", default=None, help="truth FILE.parquet or FILE.csv (default: <stem>.truth.parquet beside --out)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from simulator.faults import FaultConfig
        from simulator.server import serve

        faults = FaultConfig(
            latency_ms=args.latency_ms, latency_jitter_ms=args.latency_jitter_ms, rate_429=args.rate_429,
            rate_limit_rps=args.rate_limit_rps, rate_5xx=args.rate_5xx, drop_rate=args.drop_rate,
            slow_rate=args.slow_rate, slow_seconds=args.slow_seconds, malformed_rate=args.malformed_rate,
            truncated_rate=args.truncated_rate,
        )
        try:
            serve(args.seed, args.users, args.port, args.host, faults)
        except OSError as e:
            print(f"error: cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
            return 2
        return 0
    if args.command == "users-dump":
        from simulator.users import write_user_dump

        try:
            info = write_user_dump(args.out, args.seed, args.users, args.spam_share, args.truth)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"{info['path']} ({info['users']} users, {info['spam']} spam)\n{info['truth_path']}")
        return 0
    if args.command == "catalog":
        from simulator.catalog import main_catalog

        return main_catalog(args)
    from simulator.truth import main_truth

    return main_truth(args)


if __name__ == "__main__":
    sys.exit(main())
