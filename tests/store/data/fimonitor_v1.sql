PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_version (
	version INTEGER NOT NULL, 
	description VARCHAR(200) NOT NULL, 
	applied_at DATETIME NOT NULL, 
	PRIMARY KEY (version)
);
INSERT INTO schema_version VALUES(1,'create the six history tables','2026-11-30 11:04:54.000000');
CREATE TABLE portfolio_performance_history (
	id INTEGER NOT NULL, 
	portfolio_id VARCHAR(100) NOT NULL, 
	as_of DATE NOT NULL, 
	market_value FLOAT, 
	cash_weight FLOAT, 
	portfolio_duration FLOAT, 
	benchmark_duration FLOAT, 
	duration_gap FLOAT, 
	portfolio_dv01 FLOAT, 
	n_breach INTEGER, 
	n_warn INTEGER, 
	daily_return FLOAT, 
	extra TEXT, 
	recorded_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_performance_portfolio_asof UNIQUE (portfolio_id, as_of)
);
INSERT INTO portfolio_performance_history VALUES(1,'demo','2025-06-02',17000.0,0.052900000000000002575,8.0999999999999996447,7.5,0.59999999999999997779,14.199999999999999289,1,1,0.0010000000000000000208,'{"look_back": "26 weeks"}','2026-11-30 11:04:54.000000');
INSERT INTO portfolio_performance_history VALUES(2,'demo','2025-06-09',34000.0,0.052900000000000002575,8.0999999999999996447,7.5,0.59999999999999997779,14.199999999999999289,1,1,0.0010000000000000000208,'{"look_back": "26 weeks"}','2026-11-30 11:04:54.000000');
INSERT INTO portfolio_performance_history VALUES(3,'other','2025-06-09',17000.0,0.052900000000000002575,8.0999999999999996447,7.5,0.59999999999999997779,14.199999999999999289,1,1,0.0010000000000000000208,'{"look_back": "26 weeks"}','2026-11-30 11:04:54.000000');
CREATE TABLE portfolio_risk_metrics (
	id INTEGER NOT NULL, 
	portfolio_id VARCHAR(100) NOT NULL, 
	as_of DATE NOT NULL, 
	metric VARCHAR(64) NOT NULL, 
	value FLOAT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_risk_portfolio_asof_metric UNIQUE (portfolio_id, as_of, metric)
);
INSERT INTO portfolio_risk_metrics VALUES(1,'demo','2025-06-02','volatility',0.050000000000000002775);
INSERT INTO portfolio_risk_metrics VALUES(2,'demo','2025-06-02','sharpe',1.1999999999999999555);
INSERT INTO portfolio_risk_metrics VALUES(3,'demo','2025-06-02','beta',NULL);
INSERT INTO portfolio_risk_metrics VALUES(4,'demo','2025-06-09','volatility',0.10000000000000000555);
INSERT INTO portfolio_risk_metrics VALUES(5,'demo','2025-06-09','sharpe',1.1999999999999999555);
INSERT INTO portfolio_risk_metrics VALUES(6,'demo','2025-06-09','beta',NULL);
INSERT INTO portfolio_risk_metrics VALUES(7,'other','2025-06-09','volatility',0.050000000000000002775);
INSERT INTO portfolio_risk_metrics VALUES(8,'other','2025-06-09','sharpe',1.1999999999999999555);
INSERT INTO portfolio_risk_metrics VALUES(9,'other','2025-06-09','beta',NULL);
CREATE TABLE alerts (
	id INTEGER NOT NULL, 
	portfolio_id VARCHAR(100) NOT NULL, 
	as_of DATE NOT NULL, 
	date DATE NOT NULL, 
	rule VARCHAR(64) NOT NULL, 
	ticker VARCHAR(64) NOT NULL, 
	value FLOAT, 
	limit_value FLOAT, 
	severity VARCHAR(16) NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_alerts_portfolio_asof_rule_ticker UNIQUE (portfolio_id, as_of, date, rule, ticker)
);
INSERT INTO alerts VALUES(1,'demo','2025-06-02','2025-06-02','active_weight','HYG',0.10589999999999999413,0.050000000000000002775,'BREACH');
INSERT INTO alerts VALUES(2,'demo','2025-06-02','2025-06-02','duration_gap','',0.59999999999999997779,0.5,'WARN');
INSERT INTO alerts VALUES(3,'demo','2025-06-09','2025-06-09','active_weight','HYG',0.10589999999999999413,0.050000000000000002775,'BREACH');
INSERT INTO alerts VALUES(4,'demo','2025-06-09','2025-06-09','duration_gap','',0.59999999999999997779,0.5,'WARN');
INSERT INTO alerts VALUES(5,'other','2025-06-09','2025-06-09','active_weight','HYG',0.10589999999999999413,0.050000000000000002775,'BREACH');
INSERT INTO alerts VALUES(6,'other','2025-06-09','2025-06-09','duration_gap','',0.59999999999999997779,0.5,'WARN');
CREATE TABLE portfolio_allocations (
	id INTEGER NOT NULL, 
	portfolio_id VARCHAR(100) NOT NULL, 
	as_of DATE NOT NULL, 
	ticker VARCHAR(64) NOT NULL, 
	name VARCHAR(200), 
	"group" VARCHAR(64), 
	rating_bucket VARCHAR(64), 
	shares FLOAT, 
	price FLOAT, 
	market_value FLOAT, 
	weight FLOAT, 
	benchmark_weight FLOAT, 
	active_weight FLOAT, 
	duration FLOAT, 
	dv01 FLOAT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_alloc_portfolio_asof_ticker UNIQUE (portfolio_id, as_of, ticker)
);
INSERT INTO portfolio_allocations VALUES(1,'demo','2025-06-02','AGG','Agg','ig_credit','AA',100.0,100.0,10000.0,0.58819999999999994511,0.5,0.088200000000000000621,6.0,6.0);
INSERT INTO portfolio_allocations VALUES(2,'demo','2025-06-02','TLT','Long Tsy','treasury','AAA',50.0,90.0,4500.0,0.26469999999999999085,0.29999999999999998889,-0.035299999999999998046,17.0,7.6500000000000003552);
INSERT INTO portfolio_allocations VALUES(3,'demo','2025-06-02','HYG','High Yield','hy_credit','BB',20.0,80.0,1600.0,0.094100000000000003086,0.2000000000000000111,-0.10589999999999999413,3.5,0.56000000000000005329);
INSERT INTO portfolio_allocations VALUES(4,'demo','2025-06-02','CASH','Cash','cash','cash',NULL,1.0,900.0,0.052900000000000002575,0.0,0.052900000000000002575,0.0,0.0);
INSERT INTO portfolio_allocations VALUES(5,'demo','2025-06-09','AGG','Agg','ig_credit','AA',100.0,100.0,20000.0,0.58819999999999994511,0.5,0.088200000000000000621,6.0,6.0);
INSERT INTO portfolio_allocations VALUES(6,'demo','2025-06-09','TLT','Long Tsy','treasury','AAA',50.0,90.0,4500.0,0.26469999999999999085,0.29999999999999998889,-0.035299999999999998046,17.0,7.6500000000000003552);
INSERT INTO portfolio_allocations VALUES(7,'demo','2025-06-09','HYG','High Yield','hy_credit','BB',20.0,80.0,1600.0,0.094100000000000003086,0.2000000000000000111,-0.10589999999999999413,3.5,0.56000000000000005329);
INSERT INTO portfolio_allocations VALUES(8,'demo','2025-06-09','CASH','Cash','cash','cash',NULL,1.0,900.0,0.052900000000000002575,0.0,0.052900000000000002575,0.0,0.0);
INSERT INTO portfolio_allocations VALUES(9,'other','2025-06-09','AGG','Agg','ig_credit','AA',100.0,100.0,10000.0,0.58819999999999994511,0.5,0.088200000000000000621,6.0,6.0);
INSERT INTO portfolio_allocations VALUES(10,'other','2025-06-09','TLT','Long Tsy','treasury','AAA',50.0,90.0,4500.0,0.26469999999999999085,0.29999999999999998889,-0.035299999999999998046,17.0,7.6500000000000003552);
INSERT INTO portfolio_allocations VALUES(11,'other','2025-06-09','HYG','High Yield','hy_credit','BB',20.0,80.0,1600.0,0.094100000000000003086,0.2000000000000000111,-0.10589999999999999413,3.5,0.56000000000000005329);
INSERT INTO portfolio_allocations VALUES(12,'other','2025-06-09','CASH','Cash','cash','cash',NULL,1.0,900.0,0.052900000000000002575,0.0,0.052900000000000002575,0.0,0.0);
CREATE TABLE asset_correlations (
	id INTEGER NOT NULL, 
	portfolio_id VARCHAR(100) NOT NULL, 
	as_of DATE NOT NULL, 
	ticker_1 VARCHAR(64) NOT NULL, 
	ticker_2 VARCHAR(64) NOT NULL, 
	correlation FLOAT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_corr_portfolio_asof_pair UNIQUE (portfolio_id, as_of, ticker_1, ticker_2)
);
INSERT INTO asset_correlations VALUES(1,'demo','2025-06-02','AGG','TLT',0.89911314346317916523);
INSERT INTO asset_correlations VALUES(2,'demo','2025-06-02','AGG','HYG',-0.02813779345992450942);
INSERT INTO asset_correlations VALUES(3,'demo','2025-06-02','TLT','HYG',-0.16747441465826307105);
INSERT INTO asset_correlations VALUES(4,'demo','2025-06-09','AGG','TLT',0.89911314346317916523);
INSERT INTO asset_correlations VALUES(5,'demo','2025-06-09','AGG','HYG',-0.02813779345992450942);
INSERT INTO asset_correlations VALUES(6,'demo','2025-06-09','TLT','HYG',-0.16747441465826307105);
INSERT INTO asset_correlations VALUES(7,'other','2025-06-09','AGG','TLT',0.89911314346317916523);
INSERT INTO asset_correlations VALUES(8,'other','2025-06-09','AGG','HYG',-0.02813779345992450942);
INSERT INTO asset_correlations VALUES(9,'other','2025-06-09','TLT','HYG',-0.16747441465826307105);
CREATE TABLE rebalancing_events (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	portfolio_id VARCHAR(100) NOT NULL, 
	event_date DATE NOT NULL, 
	event_type VARCHAR(64) NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	inputs_key VARCHAR(64) NOT NULL, 
	inputs TEXT NOT NULL, 
	orders TEXT NOT NULL, 
	n_orders INTEGER NOT NULL, 
	traded_notional FLOAT, 
	pre_state TEXT, 
	post_state TEXT, 
	cost FLOAT NOT NULL, 
	tax_impact FLOAT NOT NULL, 
	recorded_at DATETIME NOT NULL, 
	CONSTRAINT uq_events_portfolio_date_type_inputs UNIQUE (portfolio_id, event_date, event_type, inputs_key)
);
INSERT INTO rebalancing_events VALUES(1,'demo','2025-06-02','pack_rebalance','ok','901206dcf479a1a0fd4d7d700941f0a46cf789c5969f12f473c2f32a67880837','{"as_of": "2025-06-02", "scenario": "PRE"}','[]',0,NULL,NULL,'{"est_cost": 0.0, "n_breach": 1, "scenario": "PRE", "status": "ok", "turnover": 0.0}',0.0,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(2,'demo','2025-06-02','pack_rebalance','ok','b37d5718795953d1301bb4cc8e6d4599fc8489b176165765e8829daab466fd1d','{"as_of": "2025-06-02", "scenario": "POST_BM"}','[]',0,NULL,NULL,'{"est_cost": 3.0, "n_breach": 0, "scenario": "POST_BM", "status": "ok", "turnover": 0.2}',3.0,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(3,'demo','2025-06-02','pack_rebalance','optimal','c002602a31ed4a78158930e714c1fe736c2a47d9070817e23de862aa5043ad0d','{"as_of": "2025-06-02", "scenario": "POST_CONS"}','[]',0,NULL,NULL,'{"est_cost": 1.5, "n_breach": 0, "scenario": "POST_CONS", "status": "optimal", "turnover": 0.1}',1.5,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(4,'demo','2025-06-09','pack_rebalance','ok','a1dc131589cb8e52c224acde6dbcf06290ce72818d85aa12821b196aa914c115','{"as_of": "2025-06-09", "scenario": "PRE"}','[]',0,NULL,NULL,'{"est_cost": 0.0, "n_breach": 1, "scenario": "PRE", "status": "ok", "turnover": 0.0}',0.0,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(5,'demo','2025-06-09','pack_rebalance','ok','be15b2b946a20c766dba1cfe61012d3c631a327e7669bad865e0917d7dfe9799','{"as_of": "2025-06-09", "scenario": "POST_BM"}','[]',0,NULL,NULL,'{"est_cost": 3.0, "n_breach": 0, "scenario": "POST_BM", "status": "ok", "turnover": 0.2}',3.0,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(6,'demo','2025-06-09','pack_rebalance','optimal','9424026ca0baf52c1f21079b093e2be11d08fd132ab6d1369418e82a05b81fe6','{"as_of": "2025-06-09", "scenario": "POST_CONS"}','[]',0,NULL,NULL,'{"est_cost": 1.5, "n_breach": 0, "scenario": "POST_CONS", "status": "optimal", "turnover": 0.1}',1.5,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(7,'other','2025-06-09','pack_rebalance','ok','a1dc131589cb8e52c224acde6dbcf06290ce72818d85aa12821b196aa914c115','{"as_of": "2025-06-09", "scenario": "PRE"}','[]',0,NULL,NULL,'{"est_cost": 0.0, "n_breach": 1, "scenario": "PRE", "status": "ok", "turnover": 0.0}',0.0,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(8,'other','2025-06-09','pack_rebalance','ok','be15b2b946a20c766dba1cfe61012d3c631a327e7669bad865e0917d7dfe9799','{"as_of": "2025-06-09", "scenario": "POST_BM"}','[]',0,NULL,NULL,'{"est_cost": 3.0, "n_breach": 0, "scenario": "POST_BM", "status": "ok", "turnover": 0.2}',3.0,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(9,'other','2025-06-09','pack_rebalance','optimal','9424026ca0baf52c1f21079b093e2be11d08fd132ab6d1369418e82a05b81fe6','{"as_of": "2025-06-09", "scenario": "POST_CONS"}','[]',0,NULL,NULL,'{"est_cost": 1.5, "n_breach": 0, "scenario": "POST_CONS", "status": "optimal", "turnover": 0.1}',1.5,0.0,'2026-11-30 11:04:54.000000');
INSERT INTO rebalancing_events VALUES(10,'p1','2025-06-03','policy_threshold','proposed','7b0e4845b824887aac8192348f182b797728d068be3008b0ecda180de6d927d9','{"portfolio": "p.yaml"}','[{"notional": 300.0, "price": 100.0, "reason": "drift", "shares": 3.0, "side": "BUY", "ticker": "AGG"}, {"notional": 180.0, "price": 90.0, "reason": "drift", "shares": 2.0, "side": "SELL", "ticker": "TLT"}]',2,480.0,'{"AGG": 0.4}','{"AGG": 0.5}',1.25,-10.0,'2026-11-30 11:04:54.000000');
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('rebalancing_events',10);
CREATE INDEX ix_events_portfolio_date ON rebalancing_events (portfolio_id, event_date);
COMMIT;
