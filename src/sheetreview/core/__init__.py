"""The lower layer every stage stands on: the OUT contract, safe files, worker processes, xlsx.

Nothing in here imports a stage (framework, read, report, feedback, packs), so any stage can use
it without a cycle, and importing it has no side effects.
"""
