"""fimonitor.data"""
