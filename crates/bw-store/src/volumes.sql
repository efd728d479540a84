-- Each fiscal year's total of the absolute amounts of its payments and of its revenues, kept
-- as they land, so that an import can refuse one that would take a year past the ceiling a
-- year may hold (Money::YEAR_TOTAL_MAX) without reading every row. Derived from the journal;
-- verify rebuilds it.
CREATE TABLE volumes (
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    gross BIGINT NOT NULL,
    PRIMARY KEY (year, kind)
);
INSERT INTO volumes (year, kind, gross) SELECT year, 'payments', SUM(ABS(amount)) FROM payments GROUP BY year;
INSERT INTO volumes (year, kind, gross) SELECT year, 'revenues', SUM(ABS(amount)) FROM revenues GROUP BY year;
