"""fimonitor.rules"""
