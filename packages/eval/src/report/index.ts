export { renderMarkdownReport, renderHtmlReport, type EvalReport, type ReportInput } from './report.js';
