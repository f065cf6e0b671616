/**
 * Plots as SVG text: line charts (d2l's `plot`/`semilogy`), panels side by side, bar charts,
 * histograms, heatmaps and confusion matrices. Pure and browser-safe.
 */
export { COLORS, decimateByPixelColumn, linePathData, plotSvg, semilogySvg, subplotsSvg, svgOpen, textElement } from './svg.ts';
export type { Axes, BarSeries, CustomTick, FigureOptions, LegendPosition, LineSeries, LineStyle, MarkerShape, Series } from './svg.ts';
export { barChartAxes, barChartSvg, histogram, histogramAxes, histogramSvg } from './bar.ts';
export type { BarChartOptions, Histogram, HistogramOptions } from './bar.ts';
export { colorAt, confusionMatrix, confusionMatrixSvg, heatmapSvg } from './heatmap.ts';
export type { Colormap, ConfusionMatrixOptions, HeatmapOptions } from './heatmap.ts';
export { dataDomain, formatLinearLabels, formatPlain, linearTicks, logTicks, makeScale, NICE_STEPS, ticksFor } from './scale.ts';
export type { Scale, ScaleKind, Tick } from './scale.ts';
export { escapeXml, fmt, powerOfTen, textWidth } from './text.ts';
