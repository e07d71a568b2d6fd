"""fimonitor.rebalance"""
