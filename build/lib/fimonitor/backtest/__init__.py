"""fimonitor.backtest"""
