"""Reading (and writing) GitHub Actions workflows, with no simulator behind it.

:func:`load_workflows` reads the workflow files under a path into typed records that keep their
file and line (:mod:`~racesim.github.workflows`, YAML with line numbers in
:mod:`~racesim.github.yaml`); :mod:`~racesim.github.expressions` and
:mod:`~racesim.github.context` evaluate the ``${{ }}`` expressions a step's meaning depends on;
:mod:`~racesim.github.recognise` says what each step does (build, push, pull, mirror, deploy) and
which image reference it uses; :func:`find_pipelines` maps every build-to-deploy path to a
deploy :class:`~racesim.Strategy` with its evidence. :mod:`racesim.github.emit` goes the other
way: the workflow files of a strategy. Judging a pipeline is :mod:`racesim.audit`'s job.
"""

from racesim.github.pipelines import Evidence, Pipeline, find_pipelines
from racesim.github.workflows import Repo, Workflow, load_workflows

__all__ = ["Evidence", "Pipeline", "Repo", "Workflow", "find_pipelines", "load_workflows"]
