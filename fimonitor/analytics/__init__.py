"""fimonitor.analytics"""
