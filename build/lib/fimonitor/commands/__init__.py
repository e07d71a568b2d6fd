"""fimonitor.commands"""
