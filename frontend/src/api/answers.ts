// The answers the views read, by name: aliases of the types generated from the API's
// OpenAPI document (schema.d.ts, `make types`).
import type { Schemas } from "./client";

export type Accepted = Schemas["Accepted"];
export type Experiment = Schemas["ExperimentOut"];
export type ExperimentPage = Schemas["ExperimentPage"];
export type ExperimentStatus = Schemas["Status"];
export type Run = Schemas["RunOut"];
export type Me = Schemas["Me"];

export type Minimum = Schemas["MinimumInfo"];
export type OptimizerDistribution = Schemas["OptimizerDistribution"];
export type DistributionTest = Schemas["PairSummary"];
export type PairedTest = Schemas["PairedTest"];
export type SweepSeries = Schemas["SweepSeries"];
export type SweepMeasurement = Schemas["SweepMeasurement"];
export type FunctionDistribution = Schemas["FunctionDistribution"];
export type Distribution = Schemas["Distribution"];
export type OptimizerEndPoints = Schemas["OptimizerEndPoints"];
export type EndPoints = Schemas["EndPoints"];
export type Grid = Schemas["Grid"];

export type OptimizerInfo = Schemas["OptimizerInfo"];
export type FunctionInfo = Schemas["FunctionInfo"];
export type TaskInfo = Schemas["TaskInfo"];

export type Summary = Schemas["Summary"];
export type SampleComparison = Schemas["SampleComparison"];
export type GroupComparison = Schemas["GroupComparison"];
export type SetComparison = Schemas["SetComparison"];
export type SetComparisons = Schemas["SetComparisons"];
export type PairComparison = Schemas["PairComparison"];
export type OptimizerPairs = Schemas["OptimizerComparisons"];
export type CandidateCounts = Schemas["CandidateCounts"];
export type Curve = Schemas["Curve"];
export type LearningCurves = Schemas["LearningCurves"];
export type PopulationModel = Schemas["PopulationMember"];
export type Populations = Schemas["Populations"];
export type Leaderboard = Schemas["Leaderboard"];
export type LeaderboardEntry = Schemas["LeaderboardEntry"];
export type Queue = Schemas["Queue"];
export type QueuedExperiment = Schemas["QueuedExperiment"];
export type KeptModel = Schemas["KeptModelOut"];
export type KeptModelPage = Schemas["KeptModelPage"];
export type SharpnessSetComparison = Schemas["SharpnessSetComparison"];
export type SharpnessPairs = Schemas["SharpnessPairs"];
export type Correlation = Schemas["Correlation"];
export type TrainingSweeps = Schemas["TrainingSweeps"];
export type TrainingSweepSeries = Schemas["TrainingSweepSeries"];
export type TrainingView = Schemas["TrainingView"];
export type WarningGroup = Schemas["WarningGroup"];
export type SharpnessPoints = Schemas["SharpnessPoints"];
export type Tuning = Schemas["Tuning"];
export type Trial = Schemas["TrialOut"];
export type BudgetRow = Schemas["BudgetRow"];
