"""fimonitor.store"""
