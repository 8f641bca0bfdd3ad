"""Organisation list page and API list at province scale: p50 / p95, query count, page time vs SQL time.

.venv/bin/python bench/org_list.py [--requests 200]
"""

from __future__ import annotations

import argparse
import time

from _setup import SqlTimer, ensure_province_scale, percentiles, setup_django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    vendor = ensure_province_scale()

    from django.db import connection
    from django.test import Client

    from chanjiao.orgs.models import Membership, Organization, User
    from chanjiao.orgs.selectors import actor_for, organizations_for
    from chanjiao.orgs.services import api_token_create

    user = User.objects.get(username="ah_province")
    actor = actor_for(user)
    visible = organizations_for(actor).count()
    print(
        f"data: {Organization.objects.count()} organisations ({visible} visible to the Anhui province officer), "
        f"{User.objects.count()} people, {Membership.objects.count()} memberships; database: {vendor}"
    )

    browser = Client()
    browser.force_login(user)
    _token, key = api_token_create(actor=actor, name="bench")
    api_headers = {"Authorization": f"Bearer {key}"}

    pages = [
        "/organizations/",
        "/organizations/?page=25",
        "/organizations/?kind=enterprise&page=10",
        "/organizations/?q=智能",
        "/organizations/?kind=school&school_level=associate",
        "/organizations/?region=3401",
        "/organizations/?page_size=100&page=3",
    ]
    apis = [
        "/api/v1/organizations",
        "/api/v1/organizations?page=25",
        "/api/v1/organizations?kind=enterprise&page=10",
        "/api/v1/organizations?q=智能",
        "/api/v1/organizations?region=3401&page_size=200",
        "/api/v1/organizations?page_size=200&page=7",
    ]

    def run(name: str, urls: list[str], headers: dict | None = None) -> None:
        for url in urls:  # warm up
            assert browser.get(url, headers=headers or {}).status_code == 200, url
        totals, sql_share, counts = [], [], set()
        sql_total = 0.0
        for i in range(args.requests):
            url = urls[i % len(urls)]
            timer = SqlTimer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = browser.get(url, headers=headers or {})
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, (url, response.status_code)
            totals.append(elapsed * 1000)
            sql_share.append(timer.seconds * 1000)
            sql_total += timer.seconds
            counts.add(timer.count)
        stats = percentiles(totals)
        sql = percentiles(sql_share)
        ratio = sum(totals) / max(1e-9, sum(sql_share))
        print(
            f"{name}: n={stats['n']} p50={stats['p50']:.1f} ms p95={stats['p95']:.1f} ms p99={stats['p99']:.1f} ms; "
            f"SQL alone p50={sql['p50']:.1f} ms p95={sql['p95']:.1f} ms; total/SQL = {ratio:.2f}x; "
            f"queries per request: {sorted(counts)}"
        )

    def page_size_queries(url_template: str, headers: dict | None = None) -> dict[int, int]:
        result = {}
        for size in (20, 100, 200):
            timer = SqlTimer()
            with connection.execute_wrapper(timer):
                browser.get(url_template.format(size=size), headers=headers or {})
            result[size] = timer.count
        return result

    run("page /organizations/", pages)
    run("api  /api/v1/organizations", apis, api_headers)
    print("queries by page size, page:", page_size_queries("/organizations/?page_size={size}"))
    print(
        "queries by page size, api: ",
        page_size_queries("/api/v1/organizations?page_size={size}", api_headers),
    )


if __name__ == "__main__":
    main()
