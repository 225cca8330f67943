"""The datavet FastAPI app Airflow mounts at ``/datavet``: HTML pages for auditors and the same
content as JSON under ``/datavet/api/``. Read-only: everything comes from the registry's tagged
commits (datavet.catalogue); every route needs an Airflow user allowed to read assets."""

from __future__ import annotations

import json
from typing import Annotated, Any

from airflow.api_fastapi.auth.managers.models.base_user import BaseUser
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from datavet import catalogue
from datavet.airflow.ui.auth import NotAllowed, NotAuthenticated, asset_reader, login_url
from datavet.airflow.ui.pages import PAGE_CSP, SHEET_CSP, render, sequence_of
from datavet.airflow.ui.paths import redactor
from datavet.airflow.ui.runs import last_dag_run
from datavet.errors import DatavetError, NotCertifiedError
from datavet.settings import Settings

Reader = Annotated[BaseUser, Depends(asset_reader)]


def _is_api(request: Request) -> bool:
    return request.url.path.removeprefix(request.scope.get("root_path", "")).startswith("/api/")


def _overview(settings: Settings) -> list[dict[str, Any]]:
    shown = redactor(settings)
    rows = []
    for entry in catalogue.datasets(settings):
        row = entry.to_json()
        row["airflow_run"] = last_dag_run(entry.name)
        if row["airflow_run"] and row["airflow_run"]["state"] == "failed" and not row["failing"]:
            row["failing"] = f"Airflow run {row['airflow_run']['run_id']} failed in " + \
                             ", ".join(row["airflow_run"]["failed_tasks"] or ["an unknown task"])
        # every version, not the latest; data files unchanged since this server hashed them are not read again
        row["verify_versions"] = catalogue.verify_versions(settings, entry.name, remembered=True)
        try:  # the current version's verification, from the list (each version is verified once)
            current = catalogue.current_tag(settings, entry.name)
            row["verify"] = next((v for v in row["verify_versions"] if v["tag"] == current), None)
        except DatavetError as exc:
            row["verify"] = {"ok": False, "problems": [str(exc)], "checked": []}
        rows.append(shown(row))
    return rows


def create_app() -> FastAPI:
    app = FastAPI(title="datavet", docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(request: Request, exc: NotAuthenticated) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        return RedirectResponse(login_url(request), status_code=303)

    @app.exception_handler(NotAllowed)
    async def _forbidden(request: Request, exc: NotAllowed) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=403)
        return _html(render(request, "message.html.j2", title="Not allowed", message=str(exc)), 403)

    @app.exception_handler(NotCertifiedError)
    async def _not_found(request: Request, exc: NotCertifiedError) -> Response:
        message = redactor(Settings.from_env())(str(exc))
        if _is_api(request):
            return JSONResponse({"detail": message}, status_code=404)
        return _html(render(request, "message.html.j2", title="Not found", message=message), 404)

    # ---- JSON ------------------------------------------------------------------------------------
    @app.get("/api/datasets")
    def api_datasets(user: Reader) -> list[dict[str, Any]]:
        return _overview(Settings.from_env())

    @app.get("/api/datasets/{name}")
    def api_dataset(name: str, user: Reader) -> dict[str, Any]:
        settings = Settings.from_env()
        return redactor(settings)(catalogue.dataset(settings, name).to_json())

    @app.get("/api/datasets/{name}/versions/{sequence}")
    def api_version(name: str, sequence: int, user: Reader) -> dict[str, Any]:
        settings = Settings.from_env()
        return redactor(settings)(catalogue.version_detail(settings, name, sequence))

    @app.get("/api/datasets/{name}/versions/{sequence}/verify")
    def api_verify(name: str, sequence: int, user: Reader) -> dict[str, Any]:
        settings = Settings.from_env()
        return redactor(settings)(catalogue.verify(settings, name, sequence))

    # ---- pages -----------------------------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, user: Reader) -> Response:
        return _html(render(request, "index.html.j2", title="Datasets", rows=_overview(Settings.from_env())))

    @app.get("/datasets/{name}", response_class=HTMLResponse)
    def dataset_page(request: Request, name: str, user: Reader) -> Response:
        settings = Settings.from_env()
        shown = redactor(settings)
        entry = shown(catalogue.dataset(settings, name))
        changes = {v["tag"]: catalogue.version_detail(settings, name, sequence_of(v["tag"]))["changes"]
                   for v in entry.versions}
        verified = {v["tag"]: v for v in catalogue.verify_versions(settings, name, remembered=True)}
        return _html(render(request, "dataset.html.j2", title=entry.title, entry=entry, changes=changes,
                            verified=verified, airflow_run=last_dag_run(name)))

    @app.get("/datasets/{name}/versions/{sequence}", response_class=HTMLResponse)
    def version_page(request: Request, name: str, sequence: int, user: Reader, verify: bool = False) -> Response:
        settings = Settings.from_env()
        shown = redactor(settings)
        detail = shown(catalogue.version_detail(settings, name, sequence))
        result = shown(catalogue.verify(settings, name, sequence)) if verify else None
        return _html(render(request, "version.html.j2", title=detail["tag"], d=detail, verification=result,
                            cert_json=json.dumps(detail["certificate"], indent=2, sort_keys=True)))

    @app.get("/datasets/{name}/versions/{sequence}/files/{filename}")
    def download(name: str, sequence: int, filename: str, user: Reader) -> Response:
        body = catalogue.document(Settings.from_env(), name, sequence, filename)
        media = catalogue.DOWNLOADS[filename]
        headers = {"X-Content-Type-Options": "nosniff"}
        if filename == "datasheet.html":  # shown in the version page's frame, under its own strict CSP
            headers["Content-Security-Policy"] = SHEET_CSP
        else:
            headers["Content-Disposition"] = f'attachment; filename="{name}-{sequence}-{filename}"'
        return Response(body, media_type=media, headers=headers)

    return app


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": PAGE_CSP,
                                                           "X-Content-Type-Options": "nosniff"})


app = create_app()
