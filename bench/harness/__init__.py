"""What every benchmark shares: services, servers, peers, load clients, users, machine stats.

Imports neither the benchmarks nor the tests. Only `tocsin_app` imports the application.
"""
