"""Experiments on the model: declare a study, run it through Dask, analyse it.

Notebook use::

    from model.experiments import load_study, run_study, load_results, morris_indices
    study = load_study("studies/uncertainties-morris.yaml")
    results = run_study(study, "var/studies/uncertainties-morris", n_workers=2)
    morris_indices(results, ["reach"])

Command line: ``python -m model.experiments run|analyse|check ...`` (see ``__main__``).
The model itself is not changed: a study calls :func:`model.run.run_scenario`
(or an analytic test function) once per run.
"""
from model.experiments.analysis import (case_of_interest, discover, indices, morris_indices, parse_condition, prim, rank_correlations, report,
                                        sobol_indices, tree_rules)
from model.experiments.designs import expand_runs, make_design, replication_seeds
from model.experiments.results import StudyResults, default_results_root, list_results, load_results
from model.experiments.runner import evaluate_batch, plan_study, run_study
from model.experiments.study import Study, StudyError, load_study, validate_study

__all__ = [
    "Study", "StudyError", "StudyResults", "case_of_interest", "default_results_root", "discover", "evaluate_batch", "expand_runs", "indices",
    "list_results", "load_results", "load_study", "make_design", "morris_indices", "parse_condition", "plan_study", "prim",
    "rank_correlations", "replication_seeds", "report", "run_study", "sobol_indices", "tree_rules", "validate_study",
]
