"""Staffing plans and what they give.

- :mod:`analytics.planning.staffing`: agents needed (Erlang C and A for live
  work, workload and a FIFO backlog for queued work) and the saved plan.
- :mod:`analytics.planning.whatif`: the forecast arrivals run through the
  sample desk's queue under a plan and a scenario.

Import the module you need (``from analytics.planning import staffing``): the
package imports neither, so the report's staffing figures do not load the
forecast models that the what-if needs.
"""
