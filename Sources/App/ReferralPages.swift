import Hummingbird

extension ReferralRoutes {
    func registerPages(on router: Router<Context>) {}
}
