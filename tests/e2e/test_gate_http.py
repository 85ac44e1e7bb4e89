"""The gate over real HTTP (uvicorn on loopback): middleware, check endpoint, deny by default."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request

from synthguard.server.app import create_app
from synthguard.server.live import serving
from synthguard.server.tokens import create_token, revoke_token
from synthguard.workspace import Workspace

EXAMPLE = Path(__file__).parents[2] / "examples" / "crm_sync.py"


def _echo_app() -> FastAPI:
    app = FastAPI()

    @app.post("/hooks/upsert")
    async def upsert(request: Request) -> dict[str, Any]:
        return {"received": len((await request.json())["records"])}

    return app


def test_crm_sync_example_keeps_synthetic_customers_out_of_production(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("crm_sync", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["crm_sync"] = module
    spec.loader.exec_module(module)
    outcome = module.run(tmp_path)
    assert outcome["real"][0] == 200
    status, body = outcome["mixed"]
    assert status == 422 and [f["index"] for f in body["findings"]] == [1, 2]
    assert outcome["production_ids"] == ["003A1"]
    assert outcome["audit"] == ["gate.check", "gate.block"]


def test_flag_policy_passes_with_headers(ws: Workspace) -> None:
    app = create_app(ws, gated_paths=["/hooks/"], gate_policy="flag")
    app.mount("/", _echo_app())
    body = {"records": [{"Email": "a@example.com"}, {"Email": "b@shop.de"}]}
    with serving(app) as base:
        response = httpx.post(f"{base}/hooks/upsert", json=body)
    assert response.status_code == 200 and response.json() == {"received": 2}
    assert response.headers["x-synthguard-synthetic"] == "1"
    assert '"0"' in response.headers["x-synthguard-reasons"]


def test_bad_bodies_are_400_not_500(ws: Workspace) -> None:
    app = create_app(ws, gated_paths=["/hooks/"])
    app.mount("/", _echo_app())
    with serving(app) as base:
        for content in (b"{not json", b"[1, 2]", b"\xff\xfe"):
            response = httpx.post(f"{base}/hooks/upsert", content=content,
                                  headers={"content-type": "application/json"})
            assert response.status_code == 400, content


def test_api_denies_by_default_and_accepts_a_valid_token(ws: Workspace) -> None:
    token = create_token(ws, "crm-sync")
    app = create_app(ws)
    records = [{"email": "x@shop.test"}, {"email": "y@shop.de"}]
    with serving(app) as base:
        assert httpx.get(f"{base}/healthz").status_code == 200
        assert httpx.post(f"{base}/v1/gate/check", json=records).status_code == 401
        assert httpx.post(f"{base}/v1/gate/check", json=records,
                          headers={"authorization": "Bearer sgt_wrong"}).status_code == 401
        ok = httpx.post(f"{base}/v1/gate/check", json=records, headers={"authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and ok.json()["synthetic"] == 1 and ok.json()["findings"][0]["index"] == 0
        revoke_token(ws, "crm-sync")
        assert httpx.get(f"{base}/v1/datasets", headers={"authorization": f"Bearer {token}"}).status_code == 401
    actions = [e.action for e in ws.audit.events()]
    assert actions.count("authz.deny") == 3 and "gate.check" in actions
