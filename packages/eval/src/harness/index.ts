export { loadTask, parseJsonlDocs, type Task, type TaskSpec, type LoadTaskOptions } from './task.js';
export { runTask, type RunTaskOptions, type RunProgress, type TaskResult, type SampleRecord, type MetricSummary } from './run-task.js';
export { renderTemplate } from './template.js';
export { multipleChoiceMetrics, regexExtract, exactMatch, type ExactMatchOptions } from './scoring.js';
