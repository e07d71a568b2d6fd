"""Access rules: tokens, the login cookie, GET only, CORS, pack-file confinement and caching."""

from __future__ import annotations

import os
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from api.api_helpers import PORTFOLIO, TOKEN, raw_get
from fimonitor.api import create_app
from fimonitor.api.security import COOKIE, TokenCheck, read_tokens

P = f"/portfolios/{quote(PORTFOLIO)}"


def _is_problem(r, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == status


@pytest.mark.parametrize(
    "path", ["/portfolios", f"{P}/alerts", "/packs", "/packs/20260430/alerts.csv"]
)
def test_missing_or_wrong_token_is_401(anon, path):
    _is_problem(anon.get(path), 401)
    assert anon.get(path).headers["www-authenticate"].startswith("Bearer")
    _is_problem(anon.get(path, headers={"Authorization": "Bearer wrong"}), 401)
    _is_problem(anon.get(path, headers={"Authorization": f"Basic {TOKEN}"}), 401)
    _is_problem(anon.get(path, headers={"Authorization": f"Bearer {TOKEN}x"}), 401)
    assert anon.get(path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert anon.get(path, headers={"Authorization": "Bearer second-token"}).status_code == 200


def test_dashboard_sends_a_browser_to_login(anon):
    r = anon.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    _is_problem(anon.get("/", headers={"Accept": "application/json"}), 401)


def test_login_sets_an_httponly_strict_cookie_that_opens_dashboard_and_files(app):
    browser = TestClient(app)
    form = browser.get("/login")
    assert form.status_code == 200 and 'name="token"' in form.text
    bad = browser.post("/login", data={"token": "wrong"}, follow_redirects=False)
    assert bad.status_code == 401 and COOKIE not in bad.headers.get("set-cookie", "")
    r = browser.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    assert TOKEN not in cookie  # an HMAC of the token, not the token
    assert browser.get("/").status_code == 200
    assert browser.get("/packs/20260430/alerts.csv").status_code == 200
    assert browser.get(f"{P}/snapshots").status_code == 200
    forged = TestClient(app, cookies={COOKIE: "0" * 64})
    _is_problem(forged.get("/packs/20260430/alerts.csv"), 401)


def test_cookie_from_another_app_instance_is_rejected(packs_dir, db_url):
    a = TokenCheck([TOKEN])
    b = TokenCheck([TOKEN])
    assert a.cookie_for(TOKEN) != b.cookie_for(TOKEN)  # per-process key


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
@pytest.mark.parametrize("path", ["/portfolios", f"{P}/snapshots", "/packs", "/", "/nowhere"])
def test_other_methods_are_405(client, method, path):
    r = client.request(method, path)
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    if method != "HEAD":
        _is_problem(r, 405)
        assert "read-only" in r.json()["detail"]


def test_post_is_allowed_only_on_login(client):
    assert client.post("/login", data={"token": TOKEN}, follow_redirects=False).status_code == 303
    assert client.put("/login").status_code == 405


@pytest.mark.parametrize(
    "raw",
    [
        "/packs/20260430/../fimonitor.sqlite",
        "/packs/20260430/%2e%2e/fimonitor.sqlite",
        "/packs/20260430/%2E%2E%2Ffimonitor.sqlite",
        "/packs/20260430/..%2f..%2fetc%2fpasswd",
        "/packs/%2e%2e/20260430/alerts.csv",
        "/packs/20260430/%2Fetc%2Fpasswd",
        "/packs//etc/passwd",
        "/packs/20260430/.hidden",
        "/packs/20260430/index.html",
        "/packs/2026043/alerts.csv",
        "/packs/20260430/alerts.csv%00.png",
        "/packs/20260430/alerts.csv/%2e%2e",
        "/packs/%2Fetc/20260430/alerts.csv",
    ],
)
def test_path_traversal_never_leaves_the_pack(client, raw):
    assert raw_get(client, raw).status_code in (404, 405)


def test_only_manifest_files_are_served(client, packs_dir, tmp_path):
    folder = packs_dir / "20260430"
    (folder / "extra.csv").write_text("a,b\n1,2\n")  # present but not in the manifest
    try:
        _is_problem(client.get("/packs/20260430/extra.csv"), 404)
    finally:
        (folder / "extra.csv").unlink()
    assert client.get("/packs/20260430/manifest.json").status_code == 200
    _is_problem(client.get("/packs/fimonitor.sqlite"), 404)


def test_symlinks_are_never_followed(client, packs_dir, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("secret\n")
    folder = packs_dir / "20260423"
    target = folder / "alerts.csv"
    backup = target.read_bytes()
    target.unlink()
    os.symlink(secret, target)  # a listed name that points outside
    link_dir = packs_dir / "evilbook"
    os.symlink(folder, link_dir)  # a book folder that is a symlink
    try:
        _is_problem(client.get("/packs/20260423/alerts.csv"), 404)
        _is_problem(client.get("/packs/evilbook/20260423/rating_exposure.csv"), 404)
    finally:
        target.unlink()
        target.write_bytes(backup)
        link_dir.unlink()
    assert client.get("/packs/20260423/alerts.csv").status_code == 200


def test_batch_layout_book_folder(client, packs_dir):
    import shutil

    book = packs_dir / "firm"
    shutil.copytree(packs_dir / "20260416", book / "20260416")
    try:
        r = client.get("/packs/firm/20260416/sector_exposure.csv")
        assert r.status_code == 200
        assert r.content == (book / "20260416" / "sector_exposure.csv").read_bytes()
        listed = [p for p in client.get("/packs").json()["items"] if p["book"] == "firm"]
        assert listed and listed[0]["files"]["alerts.csv"].endswith(
            "/packs/firm/20260416/alerts.csv"
        )
    finally:
        shutil.rmtree(book)


def test_etag_and_cache_control(client):
    r = client.get("/packs/20260430/portfolio_summary.csv")
    tag = r.headers["etag"]
    assert tag.startswith('"') and len(tag) == 66  # quoted sha256
    assert "max-age" in r.headers["cache-control"]
    again = client.get("/packs/20260430/portfolio_summary.csv", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/packs/20260430/portfolio_summary.csv", headers={"If-None-Match": '"x"'})
    assert other.status_code == 200


def test_cors_off_by_default_and_on_when_configured(client, packs_dir, db_url):
    r = client.get("/portfolios", headers={"Origin": "https://dash.example"})
    assert "access-control-allow-origin" not in r.headers
    app = create_app(db_url, packs_dir, [TOKEN], cors_origins=["https://dash.example"])
    c = TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"})
    r = c.get("/portfolios", headers={"Origin": "https://dash.example"})
    assert r.headers["access-control-allow-origin"] == "https://dash.example"
    r = c.get("/portfolios", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_no_tokens_means_open(packs_dir, db_url):
    c = TestClient(create_app(db_url, packs_dir, []))
    assert c.get("/portfolios").status_code == 200


def test_read_tokens(tmp_path, monkeypatch):
    f = tmp_path / "tokens"
    f.write_text("# comment\n alpha \n\nbeta\n")
    assert read_tokens(" gamma, ,alpha", f) == ("gamma", "alpha", "beta")
    assert read_tokens(None, None) == ()
    from fimonitor.errors import InputError

    with pytest.raises(InputError, match=r"--token-file .*missing"):
        read_tokens(None, tmp_path / "missing")


def test_missing_database_is_an_input_error(tmp_path):
    from fimonitor.errors import InputError

    with pytest.raises(InputError, match=r"no history database at .*run `fimonitor pack`"):
        create_app(f"sqlite:///{tmp_path / 'none.sqlite'}", tmp_path, [])
