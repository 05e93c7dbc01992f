"""Write a strategy as real GitHub Actions workflow files (the inverse of the audit's reader).

:func:`emit` turns a :class:`~racesim.Strategy` into the build and deploy workflows that implement
it, for a given image and Cloud Run service: a teacher can show each strategy as YAML, a user can
start from a correct one. The files run as written once the repository has the two variables
the Google Cloud login reads (see :class:`Target`): every job that touches a registry logs in to
it, and every job that talks to Google Cloud authenticates first.

The emitter's range is every strategy except the knobs GitHub Actions YAML cannot state on its
own: ``publish_guard``, ``reconcile_latest``, and deploy targets
other than Cloud Run (``rollout_survives_cancel=False``, ``live_order="request"``); sleeps are
whole seconds and a wait's timeout is a whole number of intervals.
Auditing the emitted files gives the strategy back (tested as a hypothesis property).
"""

from __future__ import annotations

from dataclasses import dataclass

from racesim.core.strategy import Concurrency, Strategy, parse_strategy
from racesim.errors import InputError

__all__ = ["Target", "emit", "in_range"]


@dataclass(frozen=True)
class Target:
    """Where the image lives, where it is deployed, and how the jobs log in.

    `workload_identity_provider` and `service_account` are what
    ``google-github-actions/auth`` needs for keyless (Workload Identity Federation) login; by
    default they are read from the repository variables ``GCP_WORKLOAD_IDENTITY_PROVIDER`` and
    ``GCP_SERVICE_ACCOUNT``. The build registry is logged in to with the run's
    ``GITHUB_TOKEN`` (GHCR), the deploy registry through ``gcloud auth configure-docker``.
    """

    image: str = "ghcr.io/acme/app"
    service: str = "app"
    region: str = "europe-west1"
    deploy_image: str = "europe-west1-docker.pkg.dev/acme/app/app"
    branch: str = "main"
    workload_identity_provider: str = "${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}"
    service_account: str = "${{ vars.GCP_SERVICE_ACCOUNT }}"


BUILD_NAME = "Build image"
DEPLOY_NAME = "Deploy"


def in_range(strategy: Strategy) -> str | None:
    """Why `strategy` cannot be emitted as YAML, or ``None`` when it can."""
    s = strategy
    if s.publish_guard:
        return "publish_guard: a registry-side check racesim does not emit"
    if not s.rollout_survives_cancel:
        return "rollout_survives_cancel: the emitted target, Cloud Run, carries a sent rollout on"
    if s.live_order != "finish":
        return "live_order: the emitted target, Cloud Run, runs the rollout that finishes last"
    if s.reconcile_latest:
        return "reconcile_latest: the step that re-points latest is not emitted"
    if s.sleep != int(s.sleep):
        return "sleep: emitted sleeps are whole seconds"
    if s.wait is not None:
        n = s.wait.timeout / s.wait.interval
        if s.wait.interval != int(s.wait.interval) or n != int(n) or n < 1:
            return "wait: the interval must be whole seconds and the timeout a multiple of it"
    if s.trigger == "none" and (
        s.mirror or s.gate or s.sleep or s.wait or s.deploy_concurrency or s.guard != "none"
    ):
        return "trigger 'none' emits only the build (no deploy knobs, mirror false)"
    return None


def _concurrency(c: Concurrency | None, group: str, indent: str = "") -> list[str]:
    if c is None:
        return []
    return [
        f"{indent}concurrency:",
        f"{indent}  group: {group}",
        *([f"{indent}  queue: max"] if c.queue == "max" else []),
        f"{indent}  cancel-in-progress: {'true' if c.cancel_in_progress else 'false'}",
    ]


def _registry_login(t: Target, i: str) -> list[str]:
    """Log in to the build registry with the run's token (GHCR accepts it)."""
    return [
        f"{i}- uses: docker/login-action@v4",
        f"{i}  with:",
        f"{i}    registry: {t.image.split('/')[0]}",
        f"{i}    username: ${{{{ github.actor }}}}",
        f"{i}    password: ${{{{ secrets.GITHUB_TOKEN }}}}",
    ]


def _google_login(t: Target, i: str, *, docker: bool) -> list[str]:
    """Authenticate to Google Cloud (keyless), install gcloud, and log Docker in to the deploy
    registry when the job pushes there."""
    out = [
        f"{i}- uses: google-github-actions/auth@v3",
        f"{i}  with:",
        f"{i}    workload_identity_provider: {t.workload_identity_provider}",
        f"{i}    service_account: {t.service_account}",
        f"{i}- uses: google-github-actions/setup-gcloud@v3",
    ]
    if docker:
        out += [
            f"{i}- name: Log Docker in to the deploy registry",
            f"{i}  run: gcloud auth configure-docker {t.deploy_image.split('/')[0]} --quiet",
        ]
    return out


def _build_job(s: Strategy, t: Target, indent: str = "  ") -> list[str]:
    i = indent
    permissions = [f"{i}    contents: read", f"{i}    packages: write"]
    tags = [f"{i}          {t.image}:latest", f"{i}          {t.image}:sha-${{{{ github.sha }}}}"]
    login = _registry_login(t, f"{i}    ")
    if s.direct:  # the build pushes to the deploy registry too, in the same push step
        permissions.append(f"{i}    id-token: write")
        tags += [
            f"{i}          {t.deploy_image}:latest",
            f"{i}          {t.deploy_image}:sha-${{{{ github.sha }}}}",
        ]
        login += _google_login(t, f"{i}    ", docker=True)
    return [
        f"{i}build:",
        f"{i}  runs-on: ubuntu-latest",
        f"{i}  permissions:",
        *permissions,
        f"{i}  outputs:",
        f"{i}    digest: ${{{{ steps.push.outputs.digest }}}}",
        f"{i}  steps:",
        f"{i}    - uses: actions/checkout@v6",
        f"{i}    - uses: docker/setup-buildx-action@v4",
        *login,
        f"{i}    - name: Build and push",
        f"{i}      id: push",
        f"{i}      uses: docker/build-push-action@v7",
        f"{i}      with:",
        f"{i}        context: .",
        f"{i}        push: true",
        f"{i}        tags: |",
        *tags,
    ]


def _commit(s: Strategy) -> str:
    if s.trigger == "workflow_run":
        return "${{ github.event.workflow_run.head_sha }}"
    return "${{ github.sha }}"


def _reference(s: Strategy, t: Target) -> str:
    image = t.deploy_image if s.direct else t.image  # where the deploy reads the image
    if s.reference == "latest":
        return f"{image}:latest"
    if s.reference == "sha":
        return f"{image}:sha-{_commit(s)}"
    if s.trigger == "needs":
        return f"{image}@${{{{ needs.build.outputs.digest }}}}"
    return f"{image}@${{{{ steps.digest.outputs.digest }}}}"


def _deploy_steps(s: Strategy, t: Target, i: str) -> list[str]:
    ref = _reference(s, t)
    out = [f"{i}steps:", f"{i}  - uses: actions/checkout@v6"]
    checkout = []
    if s.trigger == "workflow_run":  # the tested commit, not the branch tip (RS114)
        checkout.append(f"{i}      ref: {_commit(s)}")
    if s.guard == "newer_than_live":  # the ancestry check needs the history, not one commit
        checkout.append(f"{i}      fetch-depth: 0")
    if checkout:
        out += [f"{i}    with:", *checkout]
    if s.reference == "digest" and s.trigger == "workflow_run":
        out += [
            f"{i}  - uses: actions/download-artifact@v7",
            f"{i}    with:",
            f"{i}      name: digest",
            f"{i}      run-id: ${{{{ github.event.workflow_run.id }}}}",
            f"{i}      github-token: ${{{{ secrets.GITHUB_TOKEN }}}}",
            f"{i}  - name: Read the build's digest",
            f"{i}    id: digest",
            f'{i}    run: echo "digest=$(cat digest.txt)" >> "$GITHUB_OUTPUT"',
        ]
    out += _google_login(t, f"{i}  ", docker=s.mirror or s.direct)
    if not s.direct:  # pulled from the build registry (GHCR): log in with the run's token
        out += _registry_login(t, f"{i}  ")
    if s.sleep:
        out += [f"{i}  - name: Wait for the build", f"{i}    run: sleep {int(s.sleep)}"]
    if s.wait is not None:
        n = round(s.wait.timeout / s.wait.interval)
        out += [
            f"{i}  - name: Wait until the image is in the registry",
            f"{i}    run: |",
            f"{i}      for attempt in $(seq 1 {n}); do",
            f"{i}        if docker manifest inspect {ref} > /dev/null; then exit 0; fi",
            f"{i}        sleep {int(s.wait.interval)}",
            f"{i}      done",
            f"{i}      exit 1",
        ]
    out += [f"{i}  - name: Pull the image", f"{i}    run: docker pull {ref}"]
    final = ref
    if s.mirror:
        final = f"{t.deploy_image}:deploy-{_commit(s)}"
        out += [
            f"{i}  - name: Copy the image to the deploy registry",
            f"{i}    run: |",
            f"{i}      docker tag {ref} {final}",
            f"{i}      docker push {final}",
        ]
    if s.guard == "tip_of_main":
        out += [
            f"{i}  - name: Deploy only if this commit is still the tip of {t.branch}",
            f"{i}    run: |",
            f"{i}      git fetch --depth=1 origin {t.branch}",
            f'{i}      test "$(git rev-parse FETCH_HEAD)" = "{_commit(s)}"',
        ]
    elif s.guard == "newer_than_live":
        # the service carries the commit it runs as a label (set by the deploy below); with no
        # label yet (the first deploy) there is nothing to compare with
        out += [
            f"{i}  - name: Deploy only if this commit is newer than what is live",
            f"{i}    run: |",
            f"{i}      LIVE=$(gcloud run services describe {t.service} --region {t.region} "
            "--format='value(metadata.labels.commit)')",
            f'{i}      if [ -n "$LIVE" ]; then',
            f'{i}        test "$LIVE" != "{_commit(s)}"',
            f'{i}        git merge-base --is-ancestor "$LIVE" "{_commit(s)}"',
            f"{i}      fi",
        ]
    deploy = f"gcloud run deploy {t.service} --image {final} --region {t.region}"
    if s.guard == "newer_than_live":
        deploy += f" --update-labels commit={_commit(s)}"
    out += [f"{i}  - name: Deploy to Cloud Run", f"{i}    run: {deploy}"]
    return out


def _on_push(t: Target) -> list[str]:
    return ["on:", "  push:", f"    branches: [{t.branch}]"]


def emit(strategy: Strategy | str, target: Target | None = None) -> dict[str, str]:
    """The workflow files (file name -> YAML text) that implement `strategy`."""
    s = parse_strategy(strategy)
    t = target or Target()
    why = in_range(s)
    if why is not None:
        raise InputError("strategy", f"{s.describe()} cannot be emitted: {why}")
    head = [f"# racesim emit: {s.describe()}"]
    build_group = "build-${{ github.ref }}"
    deploy_group = f"deploy-{t.service}"
    files: dict[str, str] = {}
    if s.trigger == "needs":
        deploy_job = [
            "  deploy:",
            "    needs: build",
            "    runs-on: ubuntu-latest",
            "    permissions:",
            "      contents: read",
            "      packages: read",
            "      id-token: write",
            *_concurrency(s.deploy_concurrency, deploy_group, "    "),
            *_deploy_steps(s, t, "    "),
        ]
        files["build-and-deploy.yml"] = _join(
            head,
            [f"name: {BUILD_NAME} and deploy"],
            _on_push(t),
            _concurrency(s.build_concurrency, build_group),
            ["jobs:"],
            _build_job(s, t),
            deploy_job,
        )
        return files
    files["build.yml"] = _join(
        head,
        [f"name: {BUILD_NAME}"],
        _on_push(t),
        _concurrency(s.build_concurrency, build_group),
        ["jobs:"],
        _build_job(s, t),
        _digest_upload() if s.reference == "digest" else [],
    )
    if s.trigger == "none":
        return files
    if s.trigger == "push":
        on = _on_push(t)
    else:
        on = [
            "on:",
            "  workflow_run:",
            f'    workflows: ["{BUILD_NAME}"]',
            "    types: [completed]",
            f"    branches: [{t.branch}]",
        ]
    gate = ["    if: ${{ github.event.workflow_run.conclusion == 'success' }}"] if s.gate else []
    files["deploy.yml"] = _join(
        head,
        [f"name: {DEPLOY_NAME}"],
        on,
        _concurrency(s.deploy_concurrency, deploy_group),
        ["jobs:", "  deploy:"],
        gate,
        [
            "    runs-on: ubuntu-latest",
            "    permissions:",
            "      contents: read",
            "      actions: read",
            "      packages: read",
            "      id-token: write",
        ],
        _deploy_steps(s, t, "    "),
    )
    return files


def _digest_upload() -> list[str]:
    return [
        "      - name: Record the digest for the deploy",
        '        run: echo "${{ steps.push.outputs.digest }}" > digest.txt',
        "      - uses: actions/upload-artifact@v6",
        "        with:",
        "          name: digest",
        "          path: digest.txt",
    ]


def _join(*parts: list[str]) -> str:
    return "\n".join(line for part in parts for line in part) + "\n"
