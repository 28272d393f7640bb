export type { CsvLineError, CsvRow, CsvTable, ReadCsvOptions } from './read.ts';
export { readCsv } from './read.ts';
export type { CsvValue, WriteCsvOptions } from './write.ts';
export { writeCsv } from './write.ts';
