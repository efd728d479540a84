-- Monte Carlo runs (`simulation.run`): the scenario as run (JSON), its seed and paths, and
-- the digests of the scenario file and of the result, so that anyone can re-run it and
-- compare; `verify` re-runs each and compares the result's digest.
CREATE TABLE simulations (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    scenario TEXT NOT NULL,
    scenario_sha256 TEXT NOT NULL,
    result_sha256 TEXT NOT NULL,
    run_by TEXT NOT NULL,
    journal_idx BIGINT NOT NULL
);
