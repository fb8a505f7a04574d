"""The benchmark's own arithmetic, on a recorded wrk run: the load test itself runs only from
`make bench`, never in the test suite."""

import pytest

from bench.run import (
    ACCEPT_ENCODING,
    PAGES,
    ROUGH,
    WORKERS,
    Page,
    Row,
    Run,
    concurrency,
    format_table,
    headers,
    machine,
    parse_wrk,
    percentile,
    schedule,
    throughput,
)

# wrk --latency -s bench/report.lua, against a small local server.
RECORDED = (
    "Running 1s test @ http://127.0.0.1:8765/\n"
    "  1 threads and 4 connections\n"
    "  Thread Stats   Avg      Stdev     Max   +/- Stdev\n"
    "    Latency     3.10ms    2.15ms  20.23ms   81.93%\n"
    "    Req/Sec     1.37k   305.18     1.79k    70.00%\n"
    "  Latency Distribution\n"
    "     50%    2.56ms\n"
    "     75%    3.86ms\n"
    "     90%    5.50ms\n"
    "     99%   11.90ms\n"
    "  1365 requests in 1.01s, 1.98MB read\n"
    "Requests/sec:   1352.64\n"
    "Transfer/sec:      1.96MB\n"
    "BENCH totals requests=1365 duration_us=1009138 errors=0\n"
    "BENCH latency 0-1:626 1-2:752 2-3:794 3-4:839 4-5:857 5-6:893 6-7:966 7-8:1009 "
    "8-9:1066 9-10:1106 10-11:1178 11-12:1206 12-13:1239 13-14:1286 14-15:1338 "
    "15-16:1381 16-17:1427 17-18:1473 18-19:1504 19-20:1562 20-21:1594 21-22:1624 "
    "22-23:1654 23-24:1690 24-25:1709 25-26:1732 26-27:1765 27-28:1799 28-29:1820 "
    "29-30:1847 30-31:1867 31-32:1898 32-33:1937 33-34:1969 34-35:2005 35-36:2038 "
    "36-37:2075 37-38:2114 38-39:2142 39-40:2181 40-41:2220 41-42:2244 42-43:2286 "
    "43-44:2342 44-45:2380 45-46:2418 46-47:2448 47-48:2480 48-49:2510 49-50:2561 "
    "50-51:2600 51-52:2642 52-53:2712 53-54:2769 54-55:2815 55-56:2856 56-57:2907 "
    "57-58:2983 58-59:3013 59-60:3040 60-61:3089 61-62:3143 62-63:3194 63-64:3231 "
    "64-65:3273 65-66:3325 66-67:3363 67-68:3419 68-69:3477 69-70:3545 70-71:3593 "
    "71-72:3682 72-73:3722 73-74:3790 74-75:3862 75-76:3923 76-77:3995 77-78:4097 "
    "78-79:4232 79-80:4297 80-81:4364 81-82:4452 82-83:4572 83-84:4735 84-85:4866 "
    "85-86:4981 86-87:5067 87-88:5163 88-89:5365 89-90:5497 90-91:5669 91-92:6019 "
    "92-93:6181 93-94:6487 94-95:6767 95-96:7260 96-97:8075 97-98:9091 98-99:11900 "
    "99-99.1:11998 99.1-99.2:12050 99.2-99.3:12354 99.3-99.4:12545 99.4-99.5:14256 "
    "99.5-99.6:15002 99.6-99.7:15313 99.7-99.8:17266 99.8-99.9:20174 99.9-100:20225\n"
)


def test_parse_wrk_reads_the_totals_and_the_latency_cells():
    run = parse_wrk(RECORDED)
    assert (run.requests, run.seconds, run.errors) == (1365, 1.009138, 0)
    assert len(run.cells) == 109
    assert sum(hi - lo for lo, hi, _ in run.cells) == pytest.approx(100)
    assert throughput([run]) == pytest.approx(1352.6, abs=0.1)  # wrk's own Requests/sec


def test_one_runs_percentiles_are_the_ones_wrk_prints():
    run = parse_wrk(RECORDED)
    # wrk's Latency Distribution above, rounded to 10 µs
    for p, wrk_ms in [(50, 2.56), (75, 3.86), (90, 5.50), (99, 11.90)]:
        assert percentile([run], p) == pytest.approx(wrk_ms, abs=0.005)
    assert percentile([run], 100) == pytest.approx(20.23, abs=0.005)  # wrk's Max


def test_output_without_the_report_script_is_an_error_not_zeros():
    plain = RECORDED.split("BENCH")[0]
    with pytest.raises(ValueError, match="no figures"):
        parse_wrk(plain)


def flat(requests: int, ms: float, seconds: float = 1.0) -> Run:
    """A run whose every request took `ms`."""
    cells = [(float(n), float(n + 1), ms) for n in range(100)]
    return Run(requests=requests, seconds=seconds, errors=0, cells=cells)


def test_rounds_pool_by_their_requests():
    runs = [flat(300, 10.0), flat(100, 50.0)]
    assert throughput(runs) == 200
    assert percentile(runs, 50) == 10.0
    assert percentile(runs, 75) == 10.0
    assert percentile(runs, 76) == 50.0
    assert percentile([], 50) == 0.0


def test_every_page_runs_next_to_the_ceiling_which_goes_first_every_other_round():
    rows = ["a", "b"]
    assert schedule(rows, 2) == [
        ("a", True), ("a", False), ("b", True), ("b", False),
        ("a", False), ("a", True), ("b", False), ("b", True),
    ]


def row(label, path, who="", connections=16, **kwargs) -> Row:
    return Row(page=Page(label, path, who), path=path, connections=connections, **kwargs)


def test_the_table_gives_each_page_against_its_ceiling_runs_and_its_queries():
    ceiling = row("Ceiling (empty view)", "/__ceiling__/", queries={"20 orgs": 0, "5000 orgs": 0})
    home = row("Home", "/", ceiling=[flat(1000, 8.0)], runs=[flat(250, 40.0)],
               queries={"20 orgs": 3, "5000 orgs": 3})
    api = row("Members API", "/api/members.json", ceiling=[flat(3000, 8.0)],
              runs=[flat(1000, 20.0)], queries={"20 orgs": 0, "5000 orgs": 0})
    dashboard = row("Dashboard", "/dashboard/", "member", 2, ceiling=[flat(600, 3.0)],
                    runs=[flat(60, 30.0)], queries={"20 orgs": 9, "5000 orgs": 9})
    admin = row("Admin: invoices", "/admin/billing/invoice/", "staff", 2,
                skipped="skipped: MFA", queries={"20 orgs": "HTTP 302"})
    lines = format_table(ceiling, [home, api, dashboard, admin],
                         ("20 orgs", "5000 orgs")).splitlines()
    assert lines[0] == ("| Page | Path | connections | req/s | of ceiling | p50 ms | p95 ms "
                        "| p99 ms | errors | queries (20 orgs) | queries (5000 orgs) |")
    # Each concurrency's ceiling heads its pages, pooled from the runs next to them.
    assert lines[2:] == [
        "| Ceiling (empty view) | `/__ceiling__/` | 16 | 2000.0 | 100.0% | 8.0 | 8.0 | 8.0 "
        "| 0 | 0 | 0 |",
        "| Home | `/` | 16 | 250.0 | 25.0% | 40.0 | 40.0 | 40.0 | 0 | 3 | 3 |",
        "| Members API | `/api/members.json` | 16 | 1000.0 | 33.3% | 20.0 | 20.0 | 20.0 | 0 "
        "| 0 | 0 |",
        "| Ceiling (empty view) | `/__ceiling__/` | 2 | 600.0 | 100.0% | 3.0 | 3.0 | 3.0 "
        "| 0 | 0 | 0 |",
        "| Dashboard | `/dashboard/` | 2 | 60.0 | 10.0% | 30.0 | 30.0 | 30.0 | 0 | 9 | 9 |",
        "| Admin: invoices | `/admin/billing/invoice/` | 2 | skipped: MFA | | | | | "
        "| HTTP 302 | – |",
    ]


def test_signed_in_pages_run_at_one_connection_per_worker_and_public_ones_at_many():
    assert WORKERS == 2
    for page in PAGES:
        assert concurrency(page, 16) == (2 if page.who else 16)
    assert {p.path for p in PAGES if concurrency(p, 16) == 2} >= {
        "/dashboard/", "/admin/billing/invoice/", "/admin/members/membership/"}


def test_every_request_accepts_gzip_as_a_browser_does():
    assert ACCEPT_ENCODING == "gzip, deflate, br"
    assert headers("") == {"Accept-Encoding": ACCEPT_ENCODING}
    assert headers("sessionid=abc") == {"Accept-Encoding": ACCEPT_ENCODING,
                                        "Cookie": "sessionid=abc"}


def test_machine_names_the_cpu_its_cores_and_memory():
    cpuinfo = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: fpu\n"
    meminfo = "MemTotal:       24684544 kB\nMemFree:        22000000 kB\n"
    assert machine(cpuinfo, meminfo, 2) == "Intel(R) Xeon(R) Processor, 2 cores, 23.5 GiB memory"


def test_the_pages_measured_are_the_public_ones_the_dashboards_and_two_changelists():
    paths = [page.path for page in PAGES]
    assert paths[:6] == ["/", "/membership/", "/members/", "/members/?page=2",
                         "/api/members.json", "/api/openapi.json"]
    assert "/dashboard/" in paths
    assert {"/credits/", "/api/sponsors.json", "/credits/transparency/",
            "/api/credits.json"} <= set(paths)
    assert {"/admin/billing/invoice/", "/admin/members/membership/"} <= set(paths)


def test_a_page_too_slow_for_its_runs_is_marked_rough():
    ceiling = row("Ceiling (empty view)", "/__ceiling__/")
    slow = row("Member directory", "/members/", ceiling=[flat(3000, 8.0, 3)],
               runs=[flat(4, 2000.0, 3)])
    lines = format_table(ceiling, [slow], ("20 orgs", "5000 orgs")).splitlines()
    assert lines[3].startswith("| Member directory † | `/members/` | 16 | 1.3 | 0.1% | 2000.0 |")
    assert lines[-1] == ROUGH


def test_the_reminder_benchmark_reports_sent_duplicates_and_rate():
    from bench.reminders import orgs_for, summary

    assert summary(500, 480, 480, 0, 8.0) == (
        "500 reminders (480 e-mails): 480 sent once, 0 duplicates, 60.0 tasks/s")
    assert summary(0, 0, 0, 0, 0.0).endswith("0.0 tasks/s")
    assert orgs_for(5000) * 0.6 >= 5000
