import ChronicCare
import Collaboration
import Contracting
import FHIR
import Foundation
import Indicators
import Messaging
import Portal
import Referral
import Registry
import Supervision
import Surveillance

extension OpenAPIDocument {
    /// Every domain route's request body and success answer, keyed `"METHOD /api/…"` with the path as the document
    /// writes it (`{id}` for a parameter). `OpenAPIDocumentTests` checks that every route of the router is here and
    /// nothing else is, and the fuzzing (scripts/fuzz) checks the answers against the derived schemas.
    ///
    /// `response: nil` is an answer that is not JSON or has no body (204, a file, CSV, NDJSON), or JSON with no Swift
    /// type of its own (a FHIR Bundle, this document).
    static var shapes: [String: RouteShape] {
        accessShapes
            .merging(registryShapes) { first, _ in first }
            .merging(surveillanceShapes) { first, _ in first }
            .merging(contractingShapes) { first, _ in first }
            .merging(chronicShapes) { first, _ in first }
            .merging(referralShapes) { first, _ in first }
            .merging(supervisionShapes) { first, _ in first }
            .merging(collaborationShapes) { first, _ in first }
            .merging(portalShapes) { first, _ in first }
            .merging(indicatorShapes) { first, _ in first }
    }

    // MARK: Access (AccessRoutes.swift, ResidentPortalRoutes.swift, MessagingRoutes.swift, WeijianServer.swift)

    static var accessShapes: [String: RouteShape] {
        [
            // MARK: WeijianServer.swift
            "GET /api/openapi.json": RouteShape(response: nil),
            // MARK: AccessRoutes.swift
            "GET /api/v1/admin/accounts": RouteShape(response: [AccountView].self),
            "POST /api/v1/admin/accounts": RouteShape(body: NewAccountRequest.self, response: AccountView.self),
            "POST /api/v1/admin/accounts/{id}/disable": RouteShape(response: nil),
            "POST /api/v1/admin/accounts/{id}/enable": RouteShape(response: nil),
            "POST /api/v1/admin/clients": RouteShape(body: NewClientRequest.self, response: ClientSecretView.self),
            "GET /api/v1/audit/verify": RouteShape(response: VerificationView.self),
            "GET /api/v1/me": RouteShape(response: MeView.self),
            "GET /api/v1/me/access-log": RouteShape(response: [AccessView].self),
            "GET /api/v1/me/consents": RouteShape(response: [String].self),
            "POST /api/v1/me/consents": RouteShape(body: ConsentRequest.self, response: nil),
            "DELETE /api/v1/me/consents/{grantee}": RouteShape(response: nil),
            "GET /api/v1/research/{type}": RouteShape(response: nil),
            "POST /api/v1/security/accounts/{id}/unlock": RouteShape(response: nil),
            "GET /api/v1/security/break-glass": RouteShape(response: [AccessView].self),
            "POST /api/v1/security/break-glass/{seq}/review": RouteShape(body: ReviewRequest.self, response: nil),
            // MARK: ResidentPortalRoutes.swift
            "POST /api/v1/auth/sms-code": RouteShape(body: CodeRequest.self, response: [String: String].self),
            "GET /api/v1/me/record": RouteShape(response: nil),
            // MARK: MessagingRoutes.swift (Messaging)
            "GET /api/v1/me/messages": RouteShape(response: [OutboundMessage].self),
        ]
    }

    // MARK: Registry (RegistryRoutes.swift, ServiceCircleRoutes.swift, ImportRoutes.swift)

    static var registryShapes: [String: RouteShape] {
        [
            // MARK: RegistryRoutes.swift
            "GET /api/v1/divisions": RouteShape(response: [Division].self),
            "GET /api/v1/institutions": RouteShape(response: [Institution].self),
            "GET /api/v1/mpi/match": RouteShape(response: [MatchCandidate].self),
            "POST /api/v1/mpi/merges": RouteShape(body: RegistryRoutes.MergeRequest.self, response: MergeEvent.self),
            "POST /api/v1/mpi/merges/{id}/undo": RouteShape(response: MergeEvent.self),
            "GET /api/v1/mpi/patients/{id}/merges": RouteShape(response: [MergeEvent].self),
            // MARK: ServiceCircleRoutes.swift
            "GET /api/v1/indicators/circle/{district}": RouteShape(response: ServiceCircleReport.self),
            "GET /api/v1/registry/geography/{district}": RouteShape(response: GeographyDocument.self),
            "PUT /api/v1/registry/geography/{district}": RouteShape(body: GeographyDocument.self, response: GeographySummary.self),
            // MARK: ImportRoutes.swift
            "POST /api/v1/import/{kind}": RouteShape(response: ImportReport.self),
        ]
    }

    // MARK: Surveillance (SurveillanceRoutes.swift, EmergencyRoutes.swift, VectorRoutes.swift, VaccinationAppointmentRoutes.swift)

    static var surveillanceShapes: [String: RouteShape] {
        [
            // MARK: SurveillanceRoutes.swift
            "POST /api/v1/surveillance/detect": RouteShape(body: SurveillanceRoutes.DetectRequest.self, response: SurveillanceRoutes.DetectResponse.self),
            "GET /api/v1/surveillance/diseases": RouteShape(response: [NotifiableDisease].self),
            "GET /api/v1/surveillance/reports": RouteShape(response: [CaseReport].self),
            "POST /api/v1/surveillance/reports": RouteShape(body: CaseReportForm.self, response: CaseReport.self),
            "GET /api/v1/surveillance/reports/{id}": RouteShape(response: SurveillanceRoutes.CardView.self),
            "POST /api/v1/surveillance/reports/{id}/review": RouteShape(body: CaseReportReview.self, response: CaseReport.self),
            "GET /api/v1/surveillance/signals": RouteShape(response: [Signal].self),
            "GET /api/v1/surveillance/signals/response": RouteShape(response: SignalResponse.self),
            "POST /api/v1/surveillance/signals/run": RouteShape(response: [Signal].self),
            "POST /api/v1/surveillance/signals/{id}/{step}": RouteShape(body: SurveillanceRoutes.SignalStep.self, response: Signal.self),
            "GET /api/v1/surveillance/streams": RouteShape(response: [SignalStream].self),
            "GET /api/v1/surveillance/streams/{stream}": RouteShape(response: [StreamTotal].self),
            "POST /api/v1/surveillance/streams/{stream}/counts": RouteShape(body: [StreamCount].self, response: SurveillanceRoutes.Recorded.self),
            "POST /api/v1/surveillance/streams/{stream}/items": RouteShape(body: SurveillanceRoutes.StreamItem.self, response: SurveillanceRoutes.Recorded.self),
            "GET /api/v1/surveillance/timeliness": RouteShape(response: ReportTimeliness.self),
            "GET /api/v1/surveillance/vaccination/coverage": RouteShape(response: [VaccinationCoverage].self),
            "GET /api/v1/surveillance/vaccination/lots/{lot}": RouteShape(response: [SurveillanceRoutes.LotDose].self),
            "GET /api/v1/surveillance/vaccination/overdue": RouteShape(response: [OverdueDose].self),
            // MARK: EmergencyRoutes.swift
            "GET /api/v1/surveillance/incidents": RouteShape(response: [Incident].self),
            "POST /api/v1/surveillance/incidents": RouteShape(body: IncidentForm.self, response: Incident.self),
            "GET /api/v1/surveillance/incidents/{id}": RouteShape(response: IncidentSituation.self),
            "POST /api/v1/surveillance/incidents/{id}/close": RouteShape(body: SurveillanceRoutes.IncidentClose.self, response: Incident.self),
            "POST /api/v1/surveillance/incidents/{id}/notes": RouteShape(body: SurveillanceRoutes.IncidentNote.self, response: nil),
            "POST /api/v1/surveillance/incidents/{id}/tasks": RouteShape(body: TaskForm.self, response: IncidentTask.self),
            "POST /api/v1/surveillance/incidents/{id}/tasks/{task}": RouteShape(body: SurveillanceRoutes.TaskStep.self, response: IncidentTask.self),
            "GET /api/v1/surveillance/resources": RouteShape(response: SurveillanceRoutes.ResourceView.self),
            "PUT /api/v1/surveillance/resources/{organization}": RouteShape(body: [ResourceLevel.Reported].self, response: SurveillanceRoutes.ResourceView.self),
            // MARK: VaccinationAppointmentRoutes.swift
            "GET /api/v1/surveillance/vaccination/appointments": RouteShape(response: [VaccinationAppointment].self),
            "POST /api/v1/surveillance/vaccination/appointments": RouteShape(body: SurveillanceRoutes.BookingForm.self, response: VaccinationAppointment.self),
            "POST /api/v1/surveillance/vaccination/appointments/{id}/cancel": RouteShape(response: VaccinationAppointment.self),
            "GET /api/v1/surveillance/vaccination/sessions": RouteShape(response: [VaccinationSession].self),
            "POST /api/v1/surveillance/vaccination/sessions": RouteShape(body: SurveillanceRoutes.SessionForm.self, response: VaccinationSession.self),
            // MARK: VectorRoutes.swift
            "GET /api/v1/surveillance/vector/areas": RouteShape(response: [VectorArea].self),
            "POST /api/v1/surveillance/vector/reports": RouteShape(body: SurveillanceRoutes.SurveyForm.self, response: VectorReport.self),
            "GET /api/v1/surveillance/vector/sites": RouteShape(response: [VectorSite].self),
            "POST /api/v1/surveillance/vector/sites": RouteShape(body: SurveillanceRoutes.SiteForm.self, response: VectorSite.self),
        ]
    }

    // MARK: Contracting (ContractingRoutes.swift)

    static var contractingShapes: [String: RouteShape] {
        [
            "GET /api/v1/contracting/contracts": RouteShape(response: [Contract].self),
            "POST /api/v1/contracting/contracts": RouteShape(body: ContractingRoutes.SignBody.self, response: ContractingRoutes.SignedView.self),
            "GET /api/v1/contracting/contracts/{id}": RouteShape(response: Contract.self),
            "POST /api/v1/contracting/contracts/{id}/ratings": RouteShape(body: ContractingRoutes.RatingBody.self, response: Contracting.Rating.self),
            "POST /api/v1/contracting/contracts/{id}/renew": RouteShape(response: Contract.self),
            "POST /api/v1/contracting/contracts/{id}/terminate": RouteShape(body: ContractingRoutes.ReasonBody.self, response: Contract.self),
            "POST /api/v1/contracting/contracts/{id}/transfer": RouteShape(body: ContractingRoutes.TransferBody.self, response: Contract.self),
            "GET /api/v1/contracting/coverage": RouteShape(response: CoverageReport.self),
            "GET /api/v1/contracting/coverage/series": RouteShape(response: ContractingRoutes.SeriesView.self),
            "PUT /api/v1/contracting/doctors/{practitioner}/capacity": RouteShape(body: ContractingRoutes.CapacityBody.self, response: DoctorPlaces.self),
            "POST /api/v1/contracting/doctors/{practitioner}/transfer-panel": RouteShape(body: ContractingRoutes.TransferBody.self, response: ContractingRoutes.SignedView.self),
            "GET /api/v1/contracting/find": RouteShape(response: ContractingRoutes.FindView.self),
            "GET /api/v1/contracting/key-groups/{patient}": RouteShape(response: ContractingRoutes.GroupsView.self),
            "GET /api/v1/contracting/organizations/{organization}/doctors": RouteShape(response: [ContractingRoutes.DoctorView].self),
            "GET /api/v1/contracting/panel": RouteShape(response: ContractingRoutes.PanelView.self),
            "GET /api/v1/contracting/quality": RouteShape(response: QualityReport.self),
            "POST /api/v1/contracting/waitlist": RouteShape(body: ContractingRoutes.WaitlistBody.self, response: [String: Int].self),
        ]
    }

    // MARK: ChronicCare (ChronicRoutes.swift)

    static var chronicShapes: [String: RouteShape] {
        [
            "POST /api/v1/chronic/careplans": RouteShape(body: CoManagementPlan.self, response: CoManagementSummary.self),
            "GET /api/v1/chronic/careplans/{patient}": RouteShape(response: [CoManagementSummary].self),
            "GET /api/v1/chronic/checks/{patient}": RouteShape(response: [CheckDue].self),
            "POST /api/v1/chronic/enrolments/{patient}/{programme}/{decision}": RouteShape(response: Enrolment.self),
            "POST /api/v1/chronic/escalations/{patient}/{programme}/referral": RouteShape(response: ChronicRoutes.ReferralSuggested.self),
            "POST /api/v1/chronic/followups": RouteShape(body: FollowUpForm.self, response: Enrolment.self),
            "GET /api/v1/chronic/rates": RouteShape(response: ChronicRoutes.RatesView.self),
            "POST /api/v1/chronic/screening/diabetes/run": RouteShape(response: ScreeningRun.self),
            "GET /api/v1/chronic/screening/diabetes/{patient}": RouteShape(response: DiabetesRiskScore.self),
            "POST /api/v1/chronic/screening/diabetes/{patient}/close": RouteShape(body: ChronicRoutes.CloseScreening.self, response: Screening.self),
            "GET /api/v1/chronic/worklist": RouteShape(response: ChronicRoutes.Worklist.self),
        ]
    }

    // MARK: Referral (ReferralRoutes.swift)

    static var referralShapes: [String: RouteShape] {
        [
            "GET /api/v1/referral/appointments": RouteShape(response: [Appointment].self),
            "POST /api/v1/referral/appointments": RouteShape(body: ReferralRoutes.BookBody.self, response: Appointment.self),
            "POST /api/v1/referral/appointments/{id}/cancel": RouteShape(response: Appointment.self),
            "POST /api/v1/referral/appointments/{id}/noshow": RouteShape(response: Appointment.self),
            "POST /api/v1/referral/appointments/{id}/reschedule": RouteShape(body: ReferralRoutes.SlotBody.self, response: Appointment.self),
            "GET /api/v1/referral/departments": RouteShape(response: [Department].self),
            "POST /api/v1/referral/orders": RouteShape(body: ReferralRoutes.OrderBody.self, response: TestOrder.self),
            "POST /api/v1/referral/orders/check": RouteShape(body: ReferralRoutes.OrderBody.self, response: RecognitionCheck.self),
            "GET /api/v1/referral/rates": RouteShape(response: ReferralRates.self),
            "GET /api/v1/referral/recognition-rate": RouteShape(response: RecognitionRate.self),
            "POST /api/v1/referral/referrals": RouteShape(body: ReferralRequest.self, response: Referral.self),
            "GET /api/v1/referral/referrals/inbox": RouteShape(response: [Referral].self),
            "GET /api/v1/referral/referrals/worklist": RouteShape(response: [Referral].self),
            "GET /api/v1/referral/referrals/{id}": RouteShape(response: Referral.self),
            "POST /api/v1/referral/referrals/{id}/accept": RouteShape(body: ReferralRoutes.OptionalSlotBody.self, response: Referral.self),
            "POST /api/v1/referral/referrals/{id}/appointment": RouteShape(body: ReferralRoutes.SlotBody.self, response: Referral.self),
            "POST /api/v1/referral/referrals/{id}/complete": RouteShape(body: ReferralRoutes.SummaryBody.self, response: Referral.self),
            "POST /api/v1/referral/referrals/{id}/decline": RouteShape(body: ReferralRoutes.ReasonBody.self, response: Referral.self),
            "POST /api/v1/referral/referrals/{id}/visit": RouteShape(response: Referral.self),
            "POST /api/v1/referral/referrals/{id}/withdraw": RouteShape(response: Referral.self),
            "GET /api/v1/referral/schedules": RouteShape(response: [Schedule].self),
            "POST /api/v1/referral/schedules": RouteShape(body: SchedulePlan.self, response: Schedule.self),
            "GET /api/v1/referral/schedules/{id}/slots": RouteShape(response: [Slot].self),
            "POST /api/v1/referral/waitlist": RouteShape(body: ReferralRoutes.WaitlistBody.self, response: WaitlistPlace.self),
        ]
    }

    // MARK: Supervision (ApprovalRoutes.swift, EnforcementRoutes.swift, SupervisionRoutes.swift)

    static var supervisionShapes: [String: RouteShape] {
        [
            // MARK: ApprovalRoutes.swift
            "GET /api/v1/supervision/approvals": RouteShape(response: [Approval].self),
            "POST /api/v1/supervision/approvals": RouteShape(body: ApprovalForm.self, response: Approval.self),
            "GET /api/v1/supervision/approvals/kinds": RouteShape(response: ApprovalRoutes.Catalogue.self),
            "GET /api/v1/supervision/approvals/stats": RouteShape(response: ApprovalStats.self),
            "GET /api/v1/supervision/approvals/{id}": RouteShape(response: Approval.self),
            "POST /api/v1/supervision/approvals/{id}/follow-up": RouteShape(body: ApprovalRoutes.FollowUp.self, response: Approval.self),
            "POST /api/v1/supervision/approvals/{id}/rating": RouteShape(body: ApprovalRoutes.Rating.self, response: Approval.self),
            "POST /api/v1/supervision/approvals/{id}/transitions": RouteShape(body: ApprovalRoutes.Transition.self, response: Approval.self),
            // MARK: EnforcementRoutes.swift
            "POST /api/v1/public/supervision-reports": RouteShape(body: ReportForm.self, response: SupervisionReport.self),
            "GET /api/v1/supervision/cases": RouteShape(response: [SupervisionCase].self),
            "POST /api/v1/supervision/cases": RouteShape(body: EnforcementRoutes.ManualCase.self, response: SupervisionCase.self),
            "GET /api/v1/supervision/cases/{id}": RouteShape(response: SupervisionCase.self),
            "POST /api/v1/supervision/cases/{id}/actions": RouteShape(body: CaseAction.self, response: SupervisionCase.self),
            "POST /api/v1/supervision/cases/{id}/evidence": RouteShape(body: EnforcementRoutes.EvidenceForm.self, response: EvidenceItem.self),
            "GET /api/v1/supervision/cases/{id}/evidence/{evidence}": RouteShape(response: nil),
            "GET /api/v1/supervision/credit": RouteShape(response: [CreditRecord].self),
            "GET /api/v1/supervision/inspections": RouteShape(response: [PlannedInspection].self),
            "POST /api/v1/supervision/inspections/plan": RouteShape(body: EnforcementRoutes.PlanForm.self, response: [PlannedInspection].self),
            "POST /api/v1/supervision/inspections/{id}": RouteShape(body: EnforcementRoutes.InspectionForm.self, response: PlannedInspection.self),
            "GET /api/v1/supervision/reports": RouteShape(response: [SupervisionReport].self),
            "POST /api/v1/supervision/reports": RouteShape(body: ReportForm.self, response: SupervisionReport.self),
            "GET /api/v1/supervision/rules": RouteShape(response: [EnforcementRoutes.RuleInfo].self),
            "POST /api/v1/supervision/rules/run": RouteShape(response: EnforcementRoutes.Opened.self),
            // MARK: SupervisionRoutes.swift
            "GET /api/v1/supervision/licences": RouteShape(response: [Licence].self),
            "POST /api/v1/supervision/licences": RouteShape(body: LicenceForm.self, response: Licence.self),
            "GET /api/v1/supervision/licences/alerts": RouteShape(response: [LicenceAlert].self),
            "GET /api/v1/supervision/licences/out-of-scope": RouteShape(response: [ScopeViolation].self),
            "GET /api/v1/supervision/waste/alerts": RouteShape(response: [WasteAlert].self),
            "GET /api/v1/supervision/waste/batches": RouteShape(response: [WasteBatch].self),
            "POST /api/v1/supervision/waste/batches": RouteShape(body: WasteBatchForm.self, response: WasteBatch.self),
            "POST /api/v1/supervision/waste/batches/{id}/handovers": RouteShape(body: SupervisionRoutes.HandoverForm.self, response: WasteBatch.self),
            "GET /api/v1/supervision/water/sites": RouteShape(response: [WaterSite].self),
            "POST /api/v1/supervision/water/sites": RouteShape(body: SupervisionRoutes.SiteForm.self, response: WaterSite.self),
            "POST /api/v1/supervision/water/sites/{id}/tests": RouteShape(body: SupervisionRoutes.TestForm.self, response: WaterTest.self),
        ]
    }

    // MARK: Collaboration (CollaborationRoutes.swift)

    static var collaborationShapes: [String: RouteShape] {
        [
            "GET /api/v1/consultations": RouteShape(response: [Consultation].self),
            "POST /api/v1/consultations": RouteShape(body: ConsultationForm.self, response: Consultation.self),
            "GET /api/v1/consultations/{id}": RouteShape(response: Consultation.self),
            "POST /api/v1/consultations/{id}/acknowledge": RouteShape(response: Consultation.self),
            "POST /api/v1/consultations/{id}/cancel": RouteShape(response: Consultation.self),
            "POST /api/v1/consultations/{id}/conclusion": RouteShape(body: CollaborationRoutes.ConclusionForm.self, response: Consultation.self),
            "POST /api/v1/consultations/{id}/decline": RouteShape(body: CollaborationRoutes.ReasonForm.self, response: Consultation.self),
            "POST /api/v1/consultations/{id}/schedule": RouteShape(body: CollaborationRoutes.ScheduleForm.self, response: Consultation.self),
            "GET /api/v1/critical-care/cases": RouteShape(response: [CriticalCase].self),
            "POST /api/v1/critical-care/cases": RouteShape(body: CollaborationRoutes.CaseForm.self, response: CriticalCase.self),
            "POST /api/v1/critical-care/cases/{id}/times": RouteShape(body: CollaborationRoutes.TimeForm.self, response: CriticalCase.self),
            "GET /api/v1/critical-care/measures": RouteShape(response: [CriticalMeasure].self),
            "GET /api/v1/emergency/calls": RouteShape(response: [EmergencyCall].self),
            "POST /api/v1/emergency/calls": RouteShape(body: CollaborationRoutes.CallForm.self, response: EmergencyCall.self),
            "POST /api/v1/emergency/calls/{id}/dispatch": RouteShape(body: CollaborationRoutes.DispatchForm.self, response: EmergencyCall.self),
            "POST /api/v1/emergency/calls/{id}/status": RouteShape(body: CollaborationRoutes.StatusForm.self, response: EmergencyCall.self),
            "GET /api/v1/emergency/coverage": RouteShape(response: ServiceCircleReport.self),
            "GET /api/v1/emergency/notices": RouteShape(response: [PreArrivalNotice].self),
            "POST /api/v1/emergency/notices/{call}/acknowledge": RouteShape(response: PreArrivalNotice.self),
            "GET /api/v1/emergency/response-times": RouteShape(response: [ResponseTimes].self),
            "GET /api/v1/emergency/stations": RouteShape(response: [AmbulanceStation].self),
            "POST /api/v1/emergency/stations": RouteShape(body: CollaborationRoutes.StationForm.self, response: AmbulanceStation.self),
            "POST /api/v1/emergency/stations/{id}/ambulances": RouteShape(body: CollaborationRoutes.AmbulanceForm.self, response: Ambulance.self),
        ]
    }

    // MARK: Portal (PortalRoutes.swift)

    static var portalShapes: [String: RouteShape] {
        [
            "GET /api/v1/portal/education": RouteShape(response: PortalRoutes.EducationView.self),
            "GET /api/v1/portal/hospice": RouteShape(response: [HomeServiceOrder].self),
            "POST /api/v1/portal/hospice": RouteShape(body: HomeServiceForm.self, response: HomeServiceOrder.self),
            "GET /api/v1/portal/hospice/{id}": RouteShape(response: HomeServiceOrder.self),
            "POST /api/v1/portal/hospice/{id}/assess": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "POST /api/v1/portal/hospice/{id}/cancel": RouteShape(response: HomeServiceOrder.self),
            "POST /api/v1/portal/hospice/{id}/decline": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "POST /api/v1/portal/hospice/{id}/refer": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "GET /api/v1/portal/nursing": RouteShape(response: [HomeServiceOrder].self),
            "POST /api/v1/portal/nursing": RouteShape(body: HomeServiceForm.self, response: HomeServiceOrder.self),
            "GET /api/v1/portal/nursing-services": RouteShape(response: [NursingService].self),
            "GET /api/v1/portal/nursing/{id}": RouteShape(response: HomeServiceOrder.self),
            "POST /api/v1/portal/nursing/{id}/accept": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "POST /api/v1/portal/nursing/{id}/assign": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "POST /api/v1/portal/nursing/{id}/cancel": RouteShape(response: HomeServiceOrder.self),
            "POST /api/v1/portal/nursing/{id}/complete": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "POST /api/v1/portal/nursing/{id}/decline": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "GET /api/v1/portal/payments": RouteShape(response: [Payment].self),
            "POST /api/v1/portal/payments": RouteShape(body: PortalRoutes.PaymentForm.self, response: Payment.self),
            "GET /api/v1/portal/payments/{id}": RouteShape(response: Payment.self),
            "GET /api/v1/portal/prereview-rules": RouteShape(response: [PreReviewRule].self),
            "POST /api/v1/portal/prereview-rules": RouteShape(body: PortalRoutes.RuleForm.self, response: PreReviewRule.self),
            "GET /api/v1/portal/ratings": RouteShape(response: [Portal.Rating].self),
            "POST /api/v1/portal/ratings": RouteShape(body: PortalRoutes.RatingForm.self, response: Portal.Rating.self),
            "GET /api/v1/portal/sickbed": RouteShape(response: [HomeServiceOrder].self),
            "POST /api/v1/portal/sickbed": RouteShape(body: HomeServiceForm.self, response: HomeServiceOrder.self),
            "GET /api/v1/portal/sickbed/{id}": RouteShape(response: HomeServiceOrder.self),
            "POST /api/v1/portal/sickbed/{id}/admit": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "POST /api/v1/portal/sickbed/{id}/assess": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "POST /api/v1/portal/sickbed/{id}/cancel": RouteShape(response: HomeServiceOrder.self),
            "POST /api/v1/portal/sickbed/{id}/decline": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "POST /api/v1/portal/sickbed/{id}/discharge": RouteShape(body: PortalRoutes.StepForm.self, response: HomeServiceOrder.self),
            "GET /api/v1/portal/staff/orders": RouteShape(response: [HomeServiceOrder].self),
            "GET /api/v1/portal/staff/visits": RouteShape(response: [ReturnVisit].self),
            "GET /api/v1/portal/visits": RouteShape(response: [ReturnVisit].self),
            "POST /api/v1/portal/visits": RouteShape(body: VisitRequestForm.self, response: ReturnVisit.self),
            "GET /api/v1/portal/visits/{id}": RouteShape(response: PortalRoutes.VisitView.self),
            "POST /api/v1/portal/visits/{id}/accept": RouteShape(response: ReturnVisit.self),
            "POST /api/v1/portal/visits/{id}/cancel": RouteShape(response: ReturnVisit.self),
            "POST /api/v1/portal/visits/{id}/complete": RouteShape(response: ReturnVisit.self),
            "POST /api/v1/portal/visits/{id}/decline": RouteShape(body: PortalRoutes.ReasonForm.self, response: ReturnVisit.self),
            "POST /api/v1/portal/visits/{id}/note": RouteShape(body: PortalRoutes.NoteForm.self, response: ReturnVisit.self),
            "POST /api/v1/portal/visits/{id}/prescriptions": RouteShape(body: PortalRoutes.PrescriptionForm.self, response: ReturnVisits.PrescriptionOutcome.self),
        ]
    }

    // MARK: Indicators (IndicatorRoutes.swift, PlanTaskRoutes.swift)

    static var indicatorShapes: [String: RouteShape] {
        [
            // MARK: IndicatorRoutes.swift
            "GET /api/v1/indicators/breakdown/{code}": RouteShape(response: IndicatorRoutes.Breakdown.self),
            "GET /api/v1/indicators/cockpit": RouteShape(response: [IndicatorStatus].self),
            "GET /api/v1/indicators/cockpit.csv": RouteShape(response: nil),
            "GET /api/v1/indicators/definitions": RouteShape(response: [IndicatorDefinition].self),
            "GET /api/v1/indicators/plan": RouteShape(response: [PlanProgress].self),
            "POST /api/v1/indicators/plan/{id}/reported": RouteShape(body: IndicatorRoutes.Reported.self, response: nil),
            "GET /api/v1/indicators/portrait/{subdistrict}": RouteShape(response: IndicatorRoutes.Portrait.self),
            "POST /api/v1/indicators/recompute": RouteShape(response: IndicatorRoutes.Recomputed.self),
            // MARK: PlanTaskRoutes.swift
            "GET /api/v1/indicators/tasks": RouteShape(response: [TrackedTask].self),
            "GET /api/v1/indicators/tasks/{id}": RouteShape(response: TrackedTask.self),
            "POST /api/v1/indicators/tasks/{id}/progress": RouteShape(body: PlanTaskRoutes.Progress.self, response: nil),
        ]
    }
}

// MARK: types that describe their own schemas

/// A plan target's bound as Swift's synthesized coding writes it: `{"atLeast": {"_0": 95}}`, `{"atMost": {"_0": 13}}`,
/// `{"between": {"_0": 0.25, "_1": 0.3}}`.
extension PlanTarget.Bound: JSONSchemaDescribed {
    static var jsonSchema: JSONValue {
        func bound(_ name: String, _ values: [String]) -> JSONValue {
            let value = JSONValue.object(["type": .string("object"), "required": .array(values.map(JSONValue.string)),
                                          "properties": .object(Dictionary(uniqueKeysWithValues: values.map { ($0, JSONValue.object(["type": .string("number")])) }))])
            return .object(["type": .string("object"), "required": .array([.string(name)]), "properties": .object([name: value])])
        }
        return .object(["oneOf": .array([bound("atLeast", ["_0"]), bound("atMost", ["_0"]), bound("between", ["_0", "_1"])])])
    }
    static var schemaSample: Self { .atLeast(0) }
}

/// A GeoJSON geometry: a Point, Polygon or MultiPolygon and its coordinates.
extension GeographyDocument.Geometry: JSONSchemaDescribed {
    static var jsonSchema: JSONValue {
        .object(["type": .string("object"), "required": .array([.string("type"), .string("coordinates")]), "properties": .object([
            "type": .object(["type": .string("string"), "enum": .array([.string("Point"), .string("Polygon"), .string("MultiPolygon")])]),
            "coordinates": .object(["type": .string("array")]),
        ])])
    }
    static var schemaSample: Self { Self(.point([121.4, 31.2])) }
}
