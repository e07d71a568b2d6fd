"""fimonitor.report"""
